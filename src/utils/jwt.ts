/**
 * Access tokens: HS256 JWTs with a `kid` header. The key ring (JWT_SECRETS) lets the signing
 * secret rotate: the newest key signs, every key in the ring verifies. Algorithm, issuer,
 * audience and expiry are always checked, and the lifetime is capped at the configured TTL.
 */
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { env } from '../config/env.js';

export interface JwtKey {
  kid: string;
  secret: string;
}

export interface AccessClaims {
  sub: string;
  role: 'user' | 'admin';
  /** refresh-token family (session) this token belongs to */
  fid: string;
}

const encoder = new TextEncoder();

export interface JwtConfig {
  keys: JwtKey[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export const defaultJwtConfig: JwtConfig = {
  keys: env.JWT_SECRETS,
  issuer: env.JWT_ISSUER,
  audience: env.JWT_AUDIENCE,
  ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
};

export async function signAccessToken(claims: AccessClaims, config: JwtConfig = defaultJwtConfig): Promise<string> {
  const key = config.keys[config.keys.length - 1];
  if (!key) throw new Error('JWT key ring is empty');
  return new SignJWT({ role: claims.role, fid: claims.fid })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt()
    .setExpirationTime(`${config.ttlSeconds}s`)
    .sign(encoder.encode(key.secret));
}

/** Clocks of the replicas that sign and verify may differ by this much. */
const CLOCK_SKEW_SECONDS = 30;

/**
 * A token may not outlive the configured lifetime: `exp - iat` at most the TTL, `iat` not in the
 * future, and `exp` at most the TTL from now. So a token minted with a leaked (or rotated-out
 * but still listed) key cannot be made to last for years, and lowering the TTL applies to
 * tokens already issued.
 */
function withinLifetime(payload: JWTPayload, ttlSeconds: number): boolean {
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number') return false;
  return exp - iat <= ttlSeconds && iat <= now + CLOCK_SKEW_SECONDS && exp <= now + ttlSeconds + CLOCK_SKEW_SECONDS;
}

/** Returns the claims of a valid token, or null for anything else (bad alg, kid, signature, expiry...). */
export async function verifyAccessToken(
  token: string,
  config: JwtConfig = defaultJwtConfig,
): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify<JWTPayload & { role?: unknown; fid?: unknown }>(
      token,
      async (header) => {
        const key = config.keys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return encoder.encode(key.secret);
      },
      {
        algorithms: ['HS256'],
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
      },
    );
    if ((payload.role !== 'user' && payload.role !== 'admin') || typeof payload.fid !== 'string' || !payload.sub) {
      return null;
    }
    if (!withinLifetime(payload, config.ttlSeconds)) return null;
    return { sub: payload.sub, role: payload.role, fid: payload.fid };
  } catch {
    return null;
  }
}
