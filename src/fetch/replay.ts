/**
 * An HttpClient that sends nothing: it answers each request with a saved response for its
 * manifest step, in order (several for one step are its pages). `keyz providers check
 * --response` runs the real fetcher with it, so what check says is what sync does.
 */
import { FetchError } from "../errors.ts";
import type { HttpClient, HttpRequest, JsonBody } from "./http.ts";

export class ReplayClient implements HttpClient {
  readonly #pages: Map<string, JsonBody[]>;
  readonly #served = new Map<string, number>();
  /** The steps asked for, in order (one entry per request). */
  readonly asked: string[] = [];

  /** `pages`: step id -> its saved responses, page by page. */
  constructor(pages: ReadonlyMap<string, readonly JsonBody[]>) {
    this.#pages = new Map([...pages].map(([step, list]) => [step, [...list]]));
  }

  request(req: HttpRequest): Promise<JsonBody> {
    const step = req.step ?? "";
    this.asked.push(step);
    const list = this.#pages.get(step);
    const n = this.#served.get(step) ?? 0;
    this.#served.set(step, n + 1);
    if (!list) {
      return Promise.reject(
        new FetchError(
          "config",
          `no saved response for step ${step} (give --response ${step}=FILE)`,
        ),
      );
    }
    if (n >= list.length) {
      return Promise.reject(
        new FetchError(
          "config",
          `step ${step} asks for page ${
            n + 1
          }, but ${list.length} saved (give another --response ${step}=FILE)`,
        ),
      );
    }
    return Promise.resolve(structuredClone(list[n]));
  }
}
