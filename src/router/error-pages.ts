// The router's own responses (unknown host, no endpoints, upstream failure, timeout, a request it refuses): small
// HTML pages.
// Pure: builds bytes; the proxy decides when to send them.

export type RouterErrorKind =
  | 'no_route'
  | 'no_endpoints'
  | 'maintenance'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'shutting_down'
  | 'bad_request'
  | 'method_not_allowed';

const PAGES: Record<RouterErrorKind, { status: number; title: string; detail: string }> = {
  no_route: { status: 404, title: 'No such app', detail: 'There is no application at this address.' },
  no_endpoints: { status: 503, title: 'Application unavailable', detail: 'The application has no running web processes.' },
  maintenance: { status: 503, title: 'Down for maintenance', detail: 'The application is down for maintenance; please try again later.' },
  bad_gateway: { status: 502, title: 'Bad gateway', detail: 'The application did not answer properly.' },
  gateway_timeout: { status: 504, title: 'Gateway timeout', detail: 'The application took too long to answer.' },
  shutting_down: { status: 503, title: 'Router restarting', detail: 'This router is shutting down; please retry.' },
  bad_request: { status: 400, title: 'Bad request', detail: 'The request is not valid HTTP.' },
  method_not_allowed: { status: 405, title: 'Method not allowed', detail: 'The router does not serve this method.' },
};

export function errorStatus(kind: RouterErrorKind): number {
  return PAGES[kind].status;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The status line of the page for `kind`, for the paths that write responses as bytes (fast path, upgrades). */
export function errorStatusLine(kind: RouterErrorKind): string {
  const status = PAGES[kind].status;
  return `HTTP/1.1 ${status} ${REASONS[status]}`;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML body for `kind`; `requestId` is shown so a user can quote it; `detail` replaces the page's sentence. */
export function errorPage(kind: RouterErrorKind, requestId: string, detail?: string): Buffer {
  const p = PAGES[kind];
  return Buffer.from(
    `<!doctype html><html><head><meta charset="utf-8"><title>${p.status} ${p.title}</title></head>` +
      `<body><h1>${p.title}</h1><p>${escape(detail ?? p.detail)}</p><p><small>request id ${escape(requestId)}</small></p></body></html>\n`,
  );
}

/**
 * The whole response (head and page) for `kind` on a connection that closes after it, for the paths that write
 * bytes; `extraHeaders`: more header lines, each ending in CRLF.
 */
export function closingErrorResponse(kind: RouterErrorKind, requestId: string, detail?: string, extraHeaders = ''): string {
  const body = errorPage(kind, requestId, detail);
  return (
    `${errorStatusLine(kind)}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\ncache-control: no-store\r\n` +
    `x-request-id: ${requestId}\r\n${extraHeaders}connection: close\r\n\r\n${body.toString()}`
  );
}
