import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken, type JwtConfig } from '../../src/utils/jwt.js';

const oldKey = { kid: 'k1', secret: 'a'.repeat(40) };
const newKey = { kid: 'k2', secret: 'b'.repeat(40) };
const config: JwtConfig = { keys: [oldKey], issuer: 'llmguard-cloud', audience: 'llmguard-dashboard', ttlSeconds: 900 };
const claims = { sub: 'user-1', role: 'user' as const, fid: 'family-1' };
const enc = new TextEncoder();

describe('access tokens', () => {
  it('should verify a token it signed and return its claims', async () => {
    const token = await signAccessToken(claims, config);
    expect(await verifyAccessToken(token, config)).toEqual(claims);
  });

  it('should put the signing key id in the header', async () => {
    const token = await signAccessToken(claims, config);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'HS256', kid: 'k1' });
  });

  it('should keep accepting tokens of the previous key after rotation, and sign with the new one', async () => {
    const before = await signAccessToken(claims, config);
    const rotated = { ...config, keys: [oldKey, newKey] };
    expect(await verifyAccessToken(before, rotated)).toEqual(claims);
    const after = await signAccessToken(claims, rotated);
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe('k2');
    expect(await verifyAccessToken(after, { ...config, keys: [newKey] })).toEqual(claims);
  });

  it('should reject a token once its key is removed from the ring', async () => {
    const token = await signAccessToken(claims, config);
    expect(await verifyAccessToken(token, { ...config, keys: [newKey] })).toBeNull();
  });

  it('should reject alg "none"', async () => {
    const token = new UnsecuredJWT({ role: 'admin', fid: 'f' })
      .setSubject('user-1')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .encode();
    expect(await verifyAccessToken(token, config)).toBeNull();
  });

  it('should reject another algorithm even with the right secret', async () => {
    const token = await new SignJWT({ role: 'user', fid: 'f' })
      .setProtectedHeader({ alg: 'HS512', kid: 'k1' })
      .setSubject('user-1')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .sign(enc.encode(oldKey.secret));
    expect(await verifyAccessToken(token, config)).toBeNull();
  });

  it('should reject a tampered payload', async () => {
    const token = await signAccessToken(claims, config);
    const [h, , s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claims, role: 'admin', iss: config.issuer, aud: config.audience, exp: 9e9 }),
    ).toString('base64url');
    expect(await verifyAccessToken(`${h}.${forged}.${s}`, config)).toBeNull();
  });

  it('should reject an expired token', async () => {
    const token = await new SignJWT({ role: 'user', fid: 'f' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('user-1')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(enc.encode(oldKey.secret));
    expect(await verifyAccessToken(token, config)).toBeNull();
  });

  it('should reject a wrong audience or issuer', async () => {
    const token = await signAccessToken(claims, { ...config, audience: 'someone-else' });
    expect(await verifyAccessToken(token, config)).toBeNull();
    const token2 = await signAccessToken(claims, { ...config, issuer: 'evil' });
    expect(await verifyAccessToken(token2, config)).toBeNull();
  });

  it('should reject a token whose lifetime exceeds the configured TTL, and one without iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (iat: number | null, exp: number) => {
      const jwt = new SignJWT({ role: 'user', fid: 'f' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setSubject('user-1')
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setExpirationTime(exp);
      if (iat !== null) jwt.setIssuedAt(iat);
      return jwt.sign(enc.encode(oldKey.secret));
    };
    expect(await verifyAccessToken(await sign(now, now + 900), config)).not.toBeNull();
    expect(await verifyAccessToken(await sign(now, now + 901), config)).toBeNull();
    expect(await verifyAccessToken(await sign(now, now + 86_400 * 365), config)).toBeNull();
    expect(await verifyAccessToken(await sign(now + 3600, now + 3600 + 900), config)).toBeNull();
    expect(await verifyAccessToken(await sign(null, now + 600), config)).toBeNull();
    // a lower TTL applies to tokens already issued
    const issued = await signAccessToken(claims, config);
    expect(await verifyAccessToken(issued, { ...config, ttlSeconds: 300 })).toBeNull();
  });

  it('should reject garbage', async () => {
    expect(await verifyAccessToken('not.a.jwt', config)).toBeNull();
    expect(await verifyAccessToken('', config)).toBeNull();
  });
});
