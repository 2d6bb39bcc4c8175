/** Every route of the app, from its route table (the same walk the OpenAPI builder uses). */
export { listRoutes, type AppRoute as RouteInfo } from '../../src/docs/routes.js';
