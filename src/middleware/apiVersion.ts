import type { RequestHandler } from 'express';
import { API_VERSION } from '../config/constants.js';
import { AppError } from '../utils/AppError.js';

/** Every response says which API version answered; a request for another version is refused. */
export const apiVersion: RequestHandler = (req, res, next) => {
  res.setHeader('X-API-Version', API_VERSION);
  const asked = req.get('x-api-version');
  if (asked !== undefined && asked.trim() !== API_VERSION) {
    next(new AppError('UNSUPPORTED_API_VERSION', `API version "${asked}" is not supported; use ${API_VERSION}`));
    return;
  }
  next();
};
