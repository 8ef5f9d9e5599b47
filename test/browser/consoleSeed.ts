// A day of audit records for the console's tests and screenshots: logins and registrations over
// several schemes, with failures for several reasons and user ids that share prefixes.
import type { AuditRecord, Store } from '../../src/store/types.js';

const HOUR = 3600_000;

/** One line of the plan: what happens how often in each of the last 23 hours. */
interface SeedLine {
  action: 'login' | 'register' | 'mykey_callback';
  scheme: string;
  outcome: 'success' | 'failure';
  perHour: (hour: number) => number;
  reason: string | null;
}

const PLAN: SeedLine[] = [
  {
    action: 'login',
    scheme: 'webauthn',
    outcome: 'success',
    perHour: (h) => 3 + ((h * 7) % 5),
    reason: null,
  },
  {
    action: 'login',
    scheme: 'webauthn',
    outcome: 'failure',
    perHour: (h) => (h % 6 === 0 ? 2 : 0),
    reason: 'signature_invalid',
  },
  {
    action: 'login',
    scheme: 'webauthn',
    outcome: 'failure',
    perHour: (h) => (h % 7 === 1 ? 1 : 0),
    reason: 'origin_mismatch',
  },
  { action: 'login', scheme: 'device', outcome: 'success', perHour: (h) => 2 + ((h * 3) % 4), reason: null },
  {
    action: 'login',
    scheme: 'device',
    outcome: 'failure',
    perHour: (h) => (h % 5 === 2 ? 1 : 0),
    reason: 'challenge_expired',
  },
  {
    action: 'login',
    scheme: 'device',
    outcome: 'failure',
    perHour: (h) => (h % 4 === 3 ? 1 : 0),
    reason: 'replayed',
  },
  { action: 'login', scheme: 'eth', outcome: 'success', perHour: (h) => (h % 2 === 0 ? 2 : 1), reason: null },
  {
    action: 'login',
    scheme: 'eth',
    outcome: 'failure',
    perHour: (h) => (h === 3 ? 4 : 0),
    reason: 'credential_unknown',
  },
  { action: 'login', scheme: 'eos', outcome: 'success', perHour: (h) => (h % 3 === 0 ? 1 : 0), reason: null },
  {
    action: 'mykey_callback',
    scheme: 'mykey',
    outcome: 'success',
    perHour: (h) => (h % 4 === 0 ? 1 : 0),
    reason: null,
  },
  {
    action: 'register',
    scheme: 'webauthn',
    outcome: 'success',
    perHour: (h) => (h % 3 === 1 ? 2 : 1),
    reason: null,
  },
  {
    action: 'register',
    scheme: 'device',
    outcome: 'success',
    perHour: (h) => (h % 2 === 1 ? 1 : 0),
    reason: null,
  },
  {
    action: 'register',
    scheme: 'eth',
    outcome: 'failure',
    perHour: (h) => (h % 8 === 5 ? 1 : 0),
    reason: 'signature_invalid',
  },
];

const USERS = ['alice', 'alina', 'bob', 'bao.tran', 'carol', 'chi.nguyen', 'dave'];

/** What {@link seedConsoleAudit} wrote, for assertions. */
export interface Seeded {
  records: AuditRecord[];
  /** Count by `${kind} ${scheme} ${outcome}`, kind `login` or `registration`. */
  byKey: Map<string, number>;
}

/** The chart's kind of an audit action: registrations apart from every kind of login. */
export const kindOf = (action: string): string => (action === 'register' ? 'registration' : 'login');

/**
 * Appends the plan's records to the app's audit log, spread over the last 23 hours before `now`
 * (each a minute or more before its hour ends), and returns them.
 */
export async function seedConsoleAudit(store: Store, appId: string, now = Date.now()): Promise<Seeded> {
  const records: AuditRecord[] = [];
  const byKey = new Map<string, number>();
  let n = 0;
  for (let hour = 0; hour < 23; hour++) {
    for (const line of PLAN) {
      for (let i = 0; i < line.perHour(hour); i++) {
        const record: AuditRecord = {
          id: `au_seed_${n}`,
          appId,
          at: now - hour * HOUR - 60_000 - (n % 50) * 1000,
          scheme: line.scheme,
          action: line.action,
          outcome: line.outcome,
          reason: line.reason,
          userId: USERS[(hour + i + n) % USERS.length]!,
          credentialId: null,
          ip: n % 3 === 0 ? '2001:db8::7' : '203.0.113.7',
        };
        n++;
        await store.audit.append(record);
        records.push(record);
        const key = `${kindOf(line.action)} ${line.scheme} ${line.outcome}`;
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
      }
    }
  }
  return { records, byKey };
}
