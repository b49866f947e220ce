/** One call through the recording fetch, as a conformance check reads it. */
export interface RecordedExchange {
  method: string;
  url: string;
  /** URL path, percent-encoding kept (the document's templates are matched segment by segment). */
  path: string;
  /** Query parameters in order, repeated names kept. */
  query: [string, string][];
  request: {
    contentType: string | null;
    /** The parsed body when the content type is JSON. */
    json?: unknown;
    /** Size of any body (the only thing kept of a binary upload). */
    bytes: number;
  };
  /** Null when no answer came (connection reset, timeout, abort). */
  response: {
    status: number;
    headers: Record<string, string>;
    contentType: string | null;
    /** The parsed body when the content type is JSON (undefined for an empty body). */
    json?: unknown;
    /** The raw text when it is not JSON, or JSON that does not parse. */
    text?: string;
  } | null;
  error?: string;
}

const isJson = (contentType: string | null) => {
  const media = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json');
};

function parsed(text: string): { json?: unknown; text?: string } {
  if (text.length === 0) return {};
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}

async function requestBody(input: string | URL | Request, init: RequestInit | undefined): Promise<Uint8Array | string | null> {
  const body = init?.body ?? null;
  if (body === null) return input instanceof Request && input.body ? new Uint8Array(await input.clone().arrayBuffer()) : null;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body; // Buffer too
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  return null; // a stream or form: not read, so it is still there for the real fetch
}

/**
 * A `fetch` that passes every request and answer through unchanged and records both: method,
 * path, query, the JSON body (or only the byte length of anything else), and the answer's
 * status, headers and parsed JSON. The answer is read from a clone, so the caller's is unread.
 */
export function recordingFetch(inner: typeof fetch = fetch): { fetch: typeof fetch; exchanges: RecordedExchange[] } {
  const exchanges: RecordedExchange[] = [];
  const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const contentType = headers.get('content-type');
    const body = await requestBody(input, init);
    const bytes = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const exchange: RecordedExchange = {
      method: (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(),
      url: url.toString(),
      path: url.pathname,
      query: [...url.searchParams],
      request: { contentType, bytes, ...(body !== null && isJson(contentType) ? { json: parsed(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')).json } : {}) },
      response: null,
    };
    exchanges.push(exchange);
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      exchange.error = (error as Error).message;
      throw error;
    }
    const responseType = response.headers.get('content-type');
    const text = await response.clone().text();
    const content = isJson(responseType) ? parsed(text) : text.length > 0 ? { text } : {};
    exchange.response = { status: response.status, headers: Object.fromEntries(response.headers), contentType: responseType, ...content };
    return response;
  };
  return { fetch: recording as typeof fetch, exchanges };
}
