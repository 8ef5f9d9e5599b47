import type { Deps } from '../core/deps.js';
import type { TokenService } from '../core/tokens.js';
import type { Metrics } from './metrics.js';

/**
 * Everything a route needs, built once per server by `buildServer`. Its own module, so that route
 * modules depend on this type and not on the module that imports them (STYLE.md).
 */
export interface RouteContext {
  deps: Deps;
  tokens: TokenService;
  metrics: Metrics;
  basePath: string;
  /** The admin console's credential; null disables the console. */
  adminToken: string | null;
  /** The bearer token of `/metrics`; null: not served. */
  metricsToken: string | null;
  /** Challenges / MYKEY sessions per client IP per minute; 0 = no limit. */
  issueLimitPerMinute: number;
}
