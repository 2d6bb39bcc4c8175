export const API_VERSION = '1';
export const API_PREFIX = '/api/v1';
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
