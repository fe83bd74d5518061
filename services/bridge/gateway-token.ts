import { decodeJwt } from 'jose';

export interface GatewayTokenOptions {
  /** The gateway's token endpoint, e.g. `http://gateway:8010/auth/token`. */
  readonly tokenUrl: string;
  /** Sent as `{clientId, clientSecret}` when given (FountainKit's gateway shape). */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** A token is fetched again this long before it expires (default 30 s). */
  readonly refreshBeforeMs?: number;
  /** How long the endpoint may take (default 10 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Why no token could be had: the endpoint was unreachable, refused, or answered something that is not a token. */
export class GatewayTokenError extends Error {
  override readonly name = 'GatewayTokenError';
}

/**
 * The short-lived JWT the bridge attaches to every service call: fetched from the gateway's token
 * endpoint (`POST {clientId, clientSecret}` → `{token, expiresAt}`, or an OAuth2 client-credentials
 * answer `{access_token, expires_in}`), kept until shortly before it expires, one fetch shared by every
 * caller that needs it meanwhile. The expiry is the earliest of what the answer says and the JWT's `exp`.
 */
export class GatewayToken {
  private cached: { token: string; refreshAt: number } | undefined;
  private fetching: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: GatewayTokenOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A token valid for at least `refreshBeforeMs` more; throws GatewayTokenError when none can be had. */
  bearer(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** Forgets `token` (a service refused it: revoked, or the clocks disagree), so the next bearer() fetches a new one. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl } = this.options;
    const credentials = this.options.clientId === undefined ? {} : { clientId: this.options.clientId, clientSecret: this.options.clientSecret ?? '' };
    let answer: unknown;
    try {
      const response = await (this.options.fetch ?? fetch)(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(credentials),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      const text = await response.text();
      if (!response.ok) throw new GatewayTokenError(`token endpoint ${tokenUrl} answered HTTP ${response.status}`);
      answer = JSON.parse(text);
    } catch (err) {
      if (err instanceof GatewayTokenError) throw err;
      throw new GatewayTokenError(`token endpoint ${tokenUrl}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const { token, expiresAtMs } = readAnswer(answer, this.now(), tokenUrl);
    let claimedExp: number | undefined;
    try {
      const exp = decodeJwt(token).exp;
      claimedExp = exp === undefined ? undefined : exp * 1000;
    } catch {
      // An opaque (non-JWT) token is legitimate: its expiry is what the answer says.
      claimedExp = undefined;
    }
    const expiry = Math.min(expiresAtMs ?? Infinity, claimedExp ?? Infinity);
    if (expiry === Infinity) throw new GatewayTokenError(`token endpoint ${tokenUrl}: the token has no expiry (expiresAt, expires_in or a JWT exp)`);
    if (expiry <= this.now()) throw new GatewayTokenError(`token endpoint ${tokenUrl}: the token has already expired`);
    // A token shorter-lived than the refresh margin is still used once, for half its life.
    const margin = Math.min(this.options.refreshBeforeMs ?? 30_000, (expiry - this.now()) / 2);
    this.cached = { token, refreshAt: expiry - margin };
    return token;
  }
}

/** The token and its expiry from either answer shape: `expiresAt` an RFC 3339 time or epoch seconds; `expires_in` seconds from now. */
function readAnswer(answer: unknown, now: number, tokenUrl: string): { token: string; expiresAtMs: number | undefined } {
  // A bearer token is visible ASCII (RFC 6750's b64token is a subset): anything else would break the header.
  const bad = (why: string) => new GatewayTokenError(`token endpoint ${tokenUrl}: ${why}`);
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw bad('the answer is not a JSON object');
  const a = answer as Record<string, unknown>;
  const token = a.token ?? a.access_token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 16_384 || /[^!-~]/.test(token))
    throw bad('the answer has no usable token (token or access_token)');
  if (a.expiresAt !== undefined) {
    const at = typeof a.expiresAt === 'number' ? a.expiresAt * 1000 : typeof a.expiresAt === 'string' ? Date.parse(a.expiresAt) : NaN;
    if (!Number.isFinite(at)) throw bad(`expiresAt ${JSON.stringify(a.expiresAt)} is not a time`);
    return { token, expiresAtMs: at };
  }
  if (a.expires_in !== undefined) {
    if (typeof a.expires_in !== 'number' || !(a.expires_in > 0)) throw bad(`expires_in ${JSON.stringify(a.expires_in)} is not a positive number of seconds`);
    return { token, expiresAtMs: now + a.expires_in * 1000 };
  }
  return { token, expiresAtMs: undefined };
}
