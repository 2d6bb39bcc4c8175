import { API_PREFIX } from '../../config/constants.js';

/** An operation's key under the API prefix: `METHOD /api/v1/path`. */
export const v1 = (method: string, path: string) => `${method} ${API_PREFIX}${path}`;
