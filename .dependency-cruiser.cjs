/**
 * The layering of src/, checked by `npm run lint:deps` (part of `npm run lint`):
 * no import circles, and no import that runs upward. From the bottom:
 *   types, utils, config  <  domain (pure functions)  <  db, integrations, observability
 *   <  services  <  middleware, validators, controllers  <  routes, docs, cron  <  app, wiring, server
 */
const layer = (name, mayNotImport, comment) => ({
  name: `no-upward-from-${name}`,
  severity: 'error',
  comment,
  from: { path: `^src/${name}/` },
  to: { path: mayNotImport.map((l) => `^src/${l}(/|\\.ts$)`) },
});
const above = {
  services: ['middleware', 'controllers', 'routes', 'docs', 'cron', 'app', 'wiring', 'server'],
};
above.db = ['services', ...above.services];
above.integrations = above.db;
above.observability = above.db;
above.domain = ['db', 'integrations', 'observability', ...above.db];
above.utils = ['domain', ...above.domain];
above.types = above.utils;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle hides which module owns what; break it with a type in src/types or a parameter.',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { pathNot: '^src/generated/' } },
    },
    layer('types', above.types, 'Shared types import nothing of the app.'),
    layer('utils', above.utils, 'Utilities know nothing of the domain or the app.'),
    layer('domain', above.domain, 'Domain logic is pure: no database, no services, no HTTP.'),
    layer('db', above.db, 'The database layer serves the services, never the other way round.'),
    layer('integrations', above.integrations, 'Clients of outside services know nothing of ours.'),
    layer('observability', above.observability, 'Metrics are imported by everything and import nothing above them.'),
    layer('services', above.services, 'Services have no req/res and know nothing of routes or controllers.'),
    {
      name: 'no-controller-to-routes',
      severity: 'error',
      from: { path: '^src/(controllers|middleware|validators)/' },
      to: { path: '^src/(routes|docs|cron|app|wiring|server)(/|\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
