// The one registry of platform error codes: stable id, HTTP status and CLI exit code for each.
// Surfaces (API JSON, CLI message, git "remote: !" line) map a YbError through this table; nothing else.

export const ERRORS = {
  YB_ERR_BAD_REQUEST: { status: 400, exit: 2, message: 'the request is not valid' },
  YB_ERR_INVALID_NAME: { status: 422, exit: 2, message: 'the name is not valid' },
  YB_ERR_UNAUTHORIZED: { status: 401, exit: 3, message: 'not logged in or the token is not valid' },
  YB_ERR_FORBIDDEN: { status: 403, exit: 3, message: 'you are not allowed to do that' },
  YB_ERR_APP_NOT_FOUND: { status: 404, exit: 4, message: 'no such app' },
  YB_ERR_NOT_FOUND: { status: 404, exit: 4, message: 'not found' },
  YB_ERR_RELEASE_NOT_FOUND: { status: 404, exit: 4, message: 'no such release' },
  YB_ERR_APP_EXISTS: { status: 409, exit: 5, message: 'an app with that name already exists' },
  YB_ERR_CONFLICT: { status: 409, exit: 5, message: 'conflicting change' },
  YB_ERR_NO_RELEASE: { status: 422, exit: 5, message: 'the app has no release yet' },
  YB_ERR_BUILD_FAILED: { status: 422, exit: 6, message: 'the build failed' },
  YB_ERR_DEPLOY_FAILED: { status: 422, exit: 6, message: 'the deploy failed' },
  YB_ERR_UNHEALTHY: { status: 422, exit: 6, message: 'the new release did not pass its health check' },
  YB_ERR_TOO_LARGE: { status: 413, exit: 2, message: 'the upload is too large' },
  YB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 2, message: 'the request body is not of a type this route takes' },
  YB_ERR_TOO_MANY_REQUESTS: { status: 429, exit: 7, message: 'too many requests; try again later' },
  YB_ERR_DOCKER_UNAVAILABLE: { status: 503, exit: 10, message: 'the Docker engine is not reachable' },
  YB_ERR_ETCD_UNAVAILABLE: { status: 503, exit: 10, message: 'etcd is not reachable' },
  YB_ERR_API_UNREACHABLE: { status: 503, exit: 10, message: 'the Yunbang API is not reachable' },
  YB_ERR_INTERNAL: { status: 500, exit: 1, message: 'internal error' },
  YB_ERR_BAD_GATEWAY: { status: 502, exit: 11, message: 'a store the platform relies on refused or failed the request' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure with a stable code; `message` is one clear sentence for the user. */
export class YbError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /** Seconds until a retry can succeed (YB_ERR_TOO_MANY_REQUESTS); the API sends it as Retry-After. */
  readonly retryAfter?: number;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; hint?: string; retryAfter?: number }) {
    super(message ?? ERRORS[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'YbError';
    this.code = code;
    this.hint = options?.hint;
    this.retryAfter = options?.retryAfter;
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

export function isYbError(e: unknown): e is YbError {
  return e instanceof YbError;
}

/** Error id used by the JSON surface: `YB_ERR_APP_NOT_FOUND` → `app_not_found` (Heroku-style ids). */
export function errorId(code: ErrorCode): string {
  return code.replace(/^YB_ERR_/, '').toLowerCase();
}

export function codeFromId(id: string): ErrorCode | undefined {
  const code = `YB_ERR_${id.toUpperCase()}`;
  return code in ERRORS ? (code as ErrorCode) : undefined;
}
