// A loopback HTTP server standing in for provider billing APIs.
//
//   const srv = await startServer([
//     { path: "/v1/me", body: { id: "u1" } },                       // JSON, 200
//     { method: "GET", path: "/v1/usage", query: { page: "2" }, status: 429, repeat: 1 },
//     { path: "/v1/usage", handler: hostile.drip({ intervalMs: 50 }) },
//   ]);
//   try { ... srv.url ... srv.hits ... } finally { await srv.close(); }

export interface Route {
  /** Exact method (case-insensitive); any method when absent. */
  method?: string;
  /** Exact pathname, e.g. "/v1/usage". */
  path: string;
  /** Every listed parameter must be present with this value (a subset match). */
  query?: Record<string, string>;
  /** Default 200. */
  status?: number;
  /**
   * A string or Uint8Array is sent as is (default content-type text/plain); anything else
   * (object, array, number, null) is sent as JSON (content-type application/json).
   * Absent: empty body.
   */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (cut short when the client goes away or on close()). */
  delayMs?: number;
  /** Answer this many times, then fall through to later routes. Default: unlimited. */
  repeat?: number;
  /** Full control; status/body/headers are then ignored (delayMs still applies). */
  handler?: (req: Request) => Response | Promise<Response>;
}

export interface Hit {
  method: string;
  path: string;
  /** Query parameters (last value wins for repeated names). */
  query: Record<string, string>;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** The request body as text ("" when none). */
  body: string;
  /** Index in `routes` of the route that answered, or -1 for the 404 fallback. */
  route: number;
}

export interface TestServer {
  /** Origin, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  url: string;
  /** Port the server listens on. */
  port: number;
  /** Every request received, in arrival order. */
  hits: Hit[];
  /** Stop any hanging bodies/delays and shut the server down. */
  close(): Promise<void>;
}

// Hostile bodies still streaming, so close() can end them (and no timers leak). A handler runs
// synchronously up to its stream's start(), which registers with the server being served.
type Stopper = () => void;
let currentServerStops: Set<Stopper> | undefined;

function registerStop(stop: Stopper): () => void {
  const set = currentServerStops;
  set?.add(stop);
  return () => set?.delete(stop);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function matches(route: Route, req: Request, url: URL): boolean {
  if (route.method && route.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (route.path !== url.pathname) return false;
  for (const [k, v] of Object.entries(route.query ?? {})) {
    if (url.searchParams.get(k) !== v) return false;
  }
  return true;
}

function respond(route: Route): Response {
  const headers = new Headers(route.headers);
  let body: BodyInit | null = null;
  if (typeof route.body === "string" || route.body instanceof Uint8Array) {
    body = route.body as BodyInit;
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
  } else if (route.body !== undefined) {
    body = JSON.stringify(route.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return new Response(body, { status: route.status ?? 200, headers });
}

/** Start a server on 127.0.0.1 with a random port. */
export async function startServer(routes: Route[]): Promise<TestServer> {
  const hits: Hit[] = [];
  const used = routes.map(() => 0);
  const stops = new Set<Stopper>();
  const closing = new AbortController();

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => headers[k] = v);
    const hit: Hit = {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: req.body ? await req.clone().text() : "",
      route: -1,
    };
    hits.push(hit);

    const i = routes.findIndex((r, i) =>
      (r.repeat === undefined || used[i] < r.repeat) && matches(r, req, url)
    );
    if (i < 0) {
      return Response.json(
        { error: "no route", method: req.method, path: url.pathname },
        { status: 404 },
      );
    }
    used[i]++;
    hit.route = i;
    const route = routes[i];
    const signal = AbortSignal.any([req.signal, closing.signal]);
    if (route.delayMs) await sleep(route.delayMs, signal);
    if (route.handler) {
      // Only the synchronous part registers streams with this server (see registerStop).
      let res: Response | Promise<Response>;
      currentServerStops = stops;
      try {
        res = route.handler(req);
      } finally {
        currentServerStops = undefined;
      }
      return await res;
    }
    return respond(route);
  };

  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: resolve,
    onError: (e) => Response.json({ error: String(e) }, { status: 500 }),
  }, handle);
  const addr = await listening;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    hits,
    close() {
      closed ??= (async () => {
        for (const stop of [...stops]) stop();
        closing.abort(); // ends pending delays
        await server.shutdown(); // graceful: in-flight responses complete
      })();
      return closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Hostile responses: each returns a Route handler, e.g. { path: "/x", handler: hostile.html() }.

type Handler = (req: Request) => Response;
const enc = new TextEncoder();

/** A body that stops the timer when the client cancels or the server closes. */
function timedStream(
  intervalMs: number,
  next: () => Uint8Array | null | "error",
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  let unregister = () => {};
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    unregister();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      unregister = registerStop(() => {
        stop();
        try {
          controller.close();
        } catch { /* already closed */ }
      });
      timer = setInterval(() => {
        const chunk = next();
        try {
          if (chunk === null) {
            stop();
            controller.close();
          } else if (chunk === "error") {
            stop();
            controller.error(new Error("connection cut by test server"));
          } else {
            controller.enqueue(chunk);
          }
        } catch {
          stop();
        }
      }, intervalMs);
    },
    cancel() {
      stop();
    },
  });
}

export const hostile = {
  /**
   * Slow drip: one byte of `text` every `intervalMs` (default 100). Without `text` it drips
   * spaces forever (until the client gives up or close()). Headers arrive at once.
   */
  drip(
    opts: { text?: string; intervalMs?: number; status?: number; contentType?: string } = {},
  ): Handler {
    return () => {
      const bytes = opts.text === undefined ? undefined : enc.encode(opts.text);
      let i = 0;
      const body = timedStream(opts.intervalMs ?? 100, () => {
        if (bytes === undefined) return enc.encode(" ");
        if (i >= bytes.length) return null;
        return bytes.slice(i, ++i);
      });
      return new Response(body, {
        status: opts.status ?? 200,
        headers: { "content-type": opts.contentType ?? "application/json" },
      });
    };
  },

  /**
   * A body of exactly `bytes` bytes: valid JSON `{"pad":"aaa…"}` (when bytes >= 10), streamed
   * lazily. `contentLength: false` omits the Content-Length header (chunked encoding).
   */
  huge(bytes: number, opts: { contentLength?: boolean; contentType?: string } = {}): Handler {
    return () => {
      const head = bytes >= 10 ? enc.encode('{"pad":"') : new Uint8Array();
      const tail = bytes >= 10 ? enc.encode('"}') : new Uint8Array();
      let sent = 0;
      const CHUNK = 64 * 1024;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes) return controller.close();
          let chunk: Uint8Array;
          if (sent === 0 && head.length) {
            chunk = head;
          } else if (bytes - sent === tail.length && tail.length) {
            chunk = tail;
          } else {
            const n = Math.min(CHUNK, bytes - sent - tail.length);
            chunk = new Uint8Array(n).fill(0x61); // "a"
          }
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      }, { highWaterMark: 0 });
      const headers = new Headers({ "content-type": opts.contentType ?? "application/json" });
      if (opts.contentLength !== false) headers.set("content-length", String(bytes));
      return new Response(body, { headers });
    };
  },

  /** An HTML page (a proxy/login/captcha page where JSON was expected). */
  html(
    html =
      "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><h1>Checking your browser</h1></body></html>",
    status = 200,
  ): Handler {
    return () =>
      new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
  },

  /**
   * JSON cut short: the first `keep` bytes of JSON.stringify(value) (default: half), sent with
   * a matching Content-Length and content-type application/json.
   */
  truncatedJson(value: unknown = { data: [{ id: "x", amount: 1.5 }] }, keep?: number): Handler {
    return () => {
      const full = JSON.stringify(value);
      const cut = full.slice(0, keep ?? Math.floor(full.length / 2));
      return new Response(cut, { headers: { "content-type": "application/json" } });
    };
  },

  /**
   * The connection dies mid-body: sends `text` (default a JSON prefix), then errors the
   * stream, so the client sees a network error instead of a clean end.
   */
  cutConnection(text = '{"data":[{"id":"x",'): Handler {
    return () => {
      let step = 0;
      const body = timedStream(5, () => step++ === 0 ? enc.encode(text) : "error");
      return new Response(body, { headers: { "content-type": "application/json" } });
    };
  },

  /** A redirect (default 302) to `location`, typically another origin. */
  redirect(location: string, status = 302): Handler {
    return () => new Response(null, { status, headers: { location } });
  },
};

/**
 * A provider's documented answer, as kept in tests/fixtures/providers/<id>/<file> (its source
 * is named in that folder's cases.json), parsed: a route body for tests that need one.
 */
export function providerFixture(id: string, file: string): unknown {
  const url = new URL(`../fixtures/providers/${id}/${file}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url));
}
