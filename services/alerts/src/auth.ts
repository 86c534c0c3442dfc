import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented token with the accepted ones. */
export function tokenAccepted(presented: string, accepted: string[]): boolean {
  const given = digest(presented);
  return accepted.reduce((found, token) => timingSafeEqual(given, digest(token)) || found, false);
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function queryToken(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.['token'];
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/**
 * A preHandler that lets a request through only with one of `accepted` as a Bearer token (or, for
 * reads, `?token=`: EventSource cannot send headers). 401 without a token, 403 with a wrong one.
 */
export function requireToken(accepted: string[], { allowQueryToken }: { allowQueryToken: boolean }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerToken(request) ?? (allowQueryToken ? queryToken(request) : undefined);
    if (presented === undefined) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ statusCode: 401, error: 'Unauthorized', message: 'Missing token: send Authorization: Bearer <token>' });
      return;
    }
    if (!tokenAccepted(presented, accepted)) {
      await reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'Token not accepted' });
    }
  };
}

export type AccessCheck = ReturnType<typeof requireToken>;

/** Reads are open unless a read token is configured; the API token is accepted for reads too. */
export function accessChecks({ apiToken, readToken }: { apiToken: string; readToken?: string | undefined }): {
  readAccess: AccessCheck;
  writeAccess: AccessCheck;
} {
  return {
    readAccess:
      readToken === undefined ? async () => {} : requireToken([readToken, apiToken], { allowQueryToken: true }),
    writeAccess: requireToken([apiToken], { allowQueryToken: false }),
  };
}
