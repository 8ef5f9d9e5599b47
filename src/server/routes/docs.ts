import type { FastifyInstance } from 'fastify';
import swaggerUi from '@fastify/swagger-ui';

/**
 * `GET /docs`: the OpenAPI document (`/openapi.json`, the same route schemas) rendered as a
 * browsable reference by @fastify/swagger-ui. Every asset (script, styles, icons) comes from the
 * package through Signet itself, so the page works offline and behind a firewall; its CSP allows
 * only Signet's own origin (no validator badge, no fonts or styles from elsewhere; inline styles,
 * which Swagger UI injects, are the one relaxation). "Try it out"
 * is off: server-API calls need a request signature the page cannot make.
 */
export async function registerDocsRoutes(api: FastifyInstance, basePath: string): Promise<void> {
  await api.register(swaggerUi, {
    routePrefix: '/docs',
    // The page links its assets by absolute path: under a base path they live below it.
    ...(basePath === '' ? {} : { indexPrefix: basePath }),
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace(/ upgrade-insecure-requests;/, '')
        .replace(/ validator\.swagger\.io/, '')
        .replace(/ https:/g, '')
        // Swagger UI injects a <style> element at run time; styles only, on a page without
        // secrets. Scripts stay 'self'.
        .replace(/style-src 'self'/, "style-src 'self' 'unsafe-inline'"),
    theme: { title: 'Signet API reference' },
    uiConfig: { docExpansion: 'list', deepLinking: true, supportedSubmitMethods: [] },
  });
}
