/**
 * Run a manifest for one key: first the key's and credential's shapes (nothing is sent
 * otherwise), then steps in order, templates filled, pagination followed (it must advance),
 * success predicates checked, variables extracted, then normalized; everything taken from a
 * response is redacted before it is cut. The fallback plan runs when the main one fails with a
 * listed error kind (or instead of it, when it is for a credential the key does not have).
 * Providers without an account API run their key check, if any.
 */
import { FetchError } from "../errors.ts";
import { oneLine } from "../util/text.ts";
import type { Manifest, Plan, Step } from "../providers/manifest.ts";
import { select, selectOne } from "../providers/jsonpath.ts";
import { render, renderDeep, TemplateError, type Vars } from "../providers/template.ts";
import { normalize, type StepResponses, unavailable } from "../normalize/normalize.ts";
import type { Metadata } from "../sidecars/schema.ts";
import type { Secret } from "../store/secret.ts";
import { assertSendable, isOwnCredential } from "../providers/key_shape.ts";
import { buildUrl, regionOf, resolveTarget, type Target } from "./guard.ts";
import type { HttpClient, HttpPolicy, HttpRequest, JsonBody } from "./http.ts";
import { NO_SECRETS, type Redactor } from "../util/redact.ts";
import { ReplayClient } from "./replay.ts";

export interface FetchJob {
  manifest: Manifest;
  /** The pass path, for messages. */
  path: string;
  key: Secret;
  /** The mapped credential (admin/management key), when there is one. */
  credential?: Secret;
  /** The credential's pass path, for messages. */
  credentialPath?: string;
  /** Mapping params and the entry's extra fields. */
  vars: Vars;
  now: Date;
  /**
   * Redacts the secrets of the whole run (every key and credential decrypted), since a
   * provider may echo any of them. This job's key and credential are always added.
   */
  redactor?: Redactor;
  /** KEYZ_BASE_URL_<ID>, if set. */
  baseUrlOverride?: string;
  retryBaseMs: number;
}

export interface FetchOutcome {
  metadata: Metadata;
  /** Which plan produced it. */
  plan: "main" | "fallback";
}

function mainPlan(m: Manifest): Plan {
  return {
    kind: m.kind,
    steps: m.steps ?? [],
    fields: m.fields ?? {},
    currency: m.currency,
    spendWindow: m.spendWindow,
  };
}

type Check = Exclude<Step["check"], unknown[] | undefined>;

function checksOf(step: Pick<Step, "check">): Check[] {
  return step.check === undefined ? [] : Array.isArray(step.check) ? step.check : [step.check];
}

function describeCheckFailure(check: Check, body: JsonBody, redactor: Redactor): FetchError {
  const message = check.message ? selectOne(body, check.message) : undefined;
  const code = check.code ? selectOne(body, check.code) : undefined;
  const kind = code !== undefined ? check.codeKinds?.[String(code)] ?? "provider" : "provider";
  // Redacted before anything is cut (trust rule 3).
  const text = typeof message === "string" ? oneLine(redactor.redact(message)) : "";
  const codeText = code !== undefined ? ` ${oneLine(redactor.redact(String(code)), 20)}` : "";
  return new FetchError(kind, `provider error${codeText}${text ? `: ${text}` : ""}`);
}

function passes(check: Check, body: JsonBody): boolean {
  const v = selectOne(body, check.path);
  if (check.equals !== undefined) return v === check.equals;
  return check.in!.some((x) => x === v);
}

function authHeader(auth: Manifest["auth"], secret: Secret): Record<string, string> {
  const value = auth.scheme ? `${auth.scheme} ${secret.reveal()}` : secret.reveal();
  return { [auth.header]: value };
}

/**
 * One request. An HTTP error gets the kind the manifest gives its status (`statusKinds`), and
 * then the kind of the code its body carries (`errorCodes`), if either is listed.
 */
async function send(
  http: HttpClient,
  req: HttpRequest,
  policy: HttpPolicy,
  rules: Pick<Step, "statusKinds" | "errorCodes">,
): Promise<JsonBody> {
  try {
    return await http.request(req, policy);
  } catch (e) {
    if (!(e instanceof FetchError) || e.status === undefined) throw e;
    let kind = rules.statusKinds?.[String(e.status)] ?? e.kind;
    const errorCodes = rules.errorCodes;
    if (errorCodes && e.body !== undefined) {
      const code = selectOne(e.body, errorCodes.code);
      kind = (code === undefined ? undefined : errorCodes.codeKinds[String(code)]) ?? kind;
    }
    if (kind === e.kind) throw e;
    throw new FetchError(kind, e.message, { status: e.status, retryAfterMs: e.retryAfterMs });
  }
}

function policyFor(job: FetchJob, redact: (text: string) => string): HttpPolicy {
  const m = job.manifest;
  return {
    timeoutMs: m.timeoutMs,
    retries: m.retries,
    maxResponseBytes: m.maxResponseBytes,
    retryBaseMs: job.retryBaseMs,
    maxRetryAfterMs: 30_000,
    redact,
  };
}

async function runPlan(
  job: FetchJob,
  plan: Plan,
  secret: Secret,
  target: Target,
  http: HttpClient,
  redactor: Redactor,
): Promise<Metadata> {
  const m = job.manifest;
  const redact = (text: string) => redactor.redact(text);
  const policy = policyFor(job, redact);
  const vars: Record<string, string> = { ...job.vars };
  if (target.region) vars.region = target.region;
  const responses = new Map<string, unknown[]>();
  const fill = (t: string, encode?: (s: string) => string) => render(t, vars, job.now, encode);

  for (const step of plan.steps) {
    const path = fill(step.path, encodeURIComponent);
    const query = Object.fromEntries(
      Object.entries(step.query ?? {}).map(([k, v]) => [k, fill(v)]),
    );
    const headers: Record<string, string> = { Accept: "application/json" };
    for (const [k, v] of Object.entries({ ...m.headers, ...step.headers })) headers[k] = fill(v);
    Object.assign(headers, authHeader(m.auth, secret));
    const body = step.body === undefined ? undefined : renderDeep(step.body, vars, job.now);

    const pages: unknown[] = [];
    let cursor: string | undefined;
    const seenCursors = new Set<string>();
    const maxPages = step.paginate?.maxPages ?? 1;
    for (let page = 0; page < maxPages; page++) {
      const q = { ...query };
      if (cursor !== undefined && step.paginate) q[step.paginate.param] = cursor;
      const url = buildUrl(target.base, path, q, redact);
      const res = await send(
        http,
        { url, method: step.method, headers, body, step: step.id },
        policy,
        step,
      );
      const failed = checksOf(step).find((c) => !passes(c, res));
      if (failed) throw describeCheckFailure(failed, res, redactor);
      pages.push(res);
      if (!step.paginate) break;
      if (selectOne(res, step.paginate.hasMore) !== true) break;
      // More pages follow: the cursor must lead somewhere new, or the figure would be page 1
      // alone (or count pages twice) while looking complete (trust rule 5).
      const raw = selectOne(res, step.paginate.cursor);
      const next = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
      const why = typeof next !== "string" || next === ""
        ? "no next cursor"
        : next === cursor || seenCursors.has(next)
        ? "a cursor it already gave"
        : undefined;
      if (why) {
        throw new FetchError(
          "provider",
          `step ${step.id}: ${step.paginate.hasMore} is true but the response has ${why} ` +
            `(${step.paginate.cursor}); pagination does not advance, so no figure is recorded`,
        );
      }
      if (page === maxPages - 1) {
        throw new FetchError(
          "provider",
          `more than ${maxPages} pages from step ${step.id}; the figure would be incomplete`,
        );
      }
      if (cursor !== undefined) seenCursors.add(cursor);
      cursor = next as string;
    }
    responses.set(step.id, pages);
    for (const [name, p] of Object.entries(step.extract ?? {})) {
      // A variable the user gave (mapping param, pass field) wins: it pins e.g. one account
      // of several that a token can see.
      if (job.vars[name] !== undefined) continue;
      const candidates = Array.isArray(p) ? p : [p];
      // An empty string names nothing (xAI answers teamId "" for organization-scoped keys).
      const v = candidates.flatMap((c) => pages.flatMap((pg) => select(pg, c)))
        .find((x) => (typeof x === "string" && x !== "") || typeof x === "number");
      if (typeof v !== "string" && typeof v !== "number") {
        throw new FetchError(
          "parse",
          `step ${step.id}: no ${candidates.join(" or ")} in the response (needed for {${name}})`,
        );
      }
      vars[name] = String(v);
    }
  }
  return normalize({
    plan,
    responses: responses as StepResponses,
    vars,
    now: job.now,
    regionCurrency: target.currency,
    redact,
  });
}

function credentialHint(job: FetchJob): string {
  const c = job.manifest.credential!;
  return `${job.path} needs ${c.description}; link one with ` +
    `\`keyz map ${job.path} ${job.manifest.id} --credential <pass-path>\``;
}

/**
 * Fetch and normalize the figures for one key. Throws FetchError, or NotAKeyError when the
 * key or the credential does not have the manifest's shape (checked before any request).
 */
export async function fetchMetadata(job: FetchJob, http: HttpClient): Promise<FetchOutcome> {
  const m = job.manifest;
  // Defense in depth (trust rule 1): whoever called, nothing leaves without the right shape.
  // A replay sends nothing at all (`providers check --response` has no key to check).
  if (!(http instanceof ReplayClient)) {
    assertSendable(m, job.key.reveal(), "key", job.path);
    if (job.credential) {
      assertSendable(m, job.credential.reveal(), "credential", job.credentialPath);
    }
  }
  const redactor = (job.redactor ?? NO_SECRETS).with(
    [job.key, job.credential].filter((s) => s !== undefined).map((s) => s.reveal()),
  );
  try {
    const outcome = await fetchChecked(job, http, redactor);
    // Every string figure once more (normalize redacted them already).
    return { ...outcome, metadata: redactor.redactStrings(outcome.metadata) };
  } catch (e) {
    // A last pass over the message; every piece of it was redacted before it was cut.
    if (e instanceof FetchError) {
      const message = redactor.redact(e.message);
      if (message !== e.message) {
        throw new FetchError(e.kind, message, { status: e.status, retryAfterMs: e.retryAfterMs });
      }
    }
    throw e;
  }
}

async function fetchChecked(
  job: FetchJob,
  http: HttpClient,
  redactor: Redactor,
): Promise<FetchOutcome> {
  const m = job.manifest;
  try {
    const { region } = regionOf(m, job.vars.region);
    // A region without an account API (an endpoint retired there): nothing is sent.
    if (region?.unavailable !== undefined) {
      return { metadata: unavailable(m, region), plan: "main" };
    }
    if (m.kind === "unavailable") {
      const metadata = m.keyCheck ? await runKeyCheck(job, http, redactor) : unavailable(m);
      return { metadata, plan: "main" };
    }
    return await runPlans(job, http, redactor);
  } catch (e) {
    if (e instanceof TemplateError) {
      throw new FetchError("config", `${m.id}: ${e.message} (set it with keyz map --param)`);
    }
    throw e;
  }
}

/** The step id a key check's request carries (replays of `providers check` use it). */
export const KEY_CHECK_STEP = "key_check";

/**
 * The key check of a provider without an account API: one GET that says whether the key
 * works. 2xx: key_valid; 401 and 403 (or a mapped error code): `auth`.
 */
async function runKeyCheck(job: FetchJob, http: HttpClient, redactor: Redactor): Promise<Metadata> {
  const m = job.manifest;
  const check = m.keyCheck!;
  const redact = (text: string) => redactor.redact(text);
  const target = resolveTarget(m, job.vars.region, job.baseUrlOverride);
  const vars: Record<string, string> = { ...job.vars };
  if (target.region) vars.region = target.region;
  const fill = (t: string, encode?: (s: string) => string) => render(t, vars, job.now, encode);
  const query = Object.fromEntries(
    Object.entries(check.query ?? {}).map(([k, v]) => [k, fill(v)]),
  );
  const headers: Record<string, string> = { Accept: "application/json" };
  for (const [k, v] of Object.entries({ ...m.headers, ...check.headers })) headers[k] = fill(v);
  Object.assign(headers, authHeader(check.auth ?? m.auth, job.key));
  const url = buildUrl(target.base, fill(check.path, encodeURIComponent), query, redact);
  let res: JsonBody;
  try {
    res = await send(
      http,
      { url, method: "GET", headers, step: KEY_CHECK_STEP },
      policyFor(job, redact),
      check,
    );
  } catch (e) {
    // Whatever the provider calls it, a key it refuses is revoked or invalid.
    if (e instanceof FetchError && e.kind === "forbidden") {
      throw new FetchError("auth", e.message, { status: e.status });
    }
    throw e;
  }
  const failed = checksOf(check).find((c) => !passes(c, res));
  if (failed) throw describeCheckFailure(failed, res, redactor);
  return { ...unavailable(m, regionOf(m, job.vars.region).region), key_valid: true };
}

async function runPlans(
  job: FetchJob,
  http: HttpClient,
  redactor: Redactor,
): Promise<FetchOutcome> {
  const m = job.manifest;
  try {
    const target = resolveTarget(m, job.vars.region, job.baseUrlOverride);
    // A key of the credential's documented shape is its own credential.
    const secret = job.credential ?? (isOwnCredential(m, job.key.reveal()) ? job.key : undefined);
    const fb = m.fallback;
    // The main plan is for the credential only: without one, the fallback is the plan.
    if (!secret && fb?.withoutCredential) {
      const metadata = await runPlan(job, fb, job.key, target, http, redactor);
      return { metadata, plan: "fallback" };
    }
    if (!secret && m.credential?.required && !fb) {
      throw new FetchError("config", credentialHint(job));
    }
    try {
      if (!secret && m.credential?.required) {
        throw new FetchError("config", credentialHint(job));
      }
      const metadata = await runPlan(job, mainPlan(m), secret ?? job.key, target, http, redactor);
      return { metadata, plan: "main" };
    } catch (e) {
      const missingCredential = e instanceof FetchError && e.kind === "config" && !secret &&
        !!m.credential?.required;
      if (!fb || !(e instanceof FetchError) || !(fb.on.includes(e.kind) || missingCredential)) {
        throw e;
      }
      const key = fb.useKey ? job.key : secret ?? job.key;
      const metadata = await runPlan(job, fb, key, target, http, redactor);
      return { metadata, plan: "fallback" };
    }
  } catch (e) {
    if (e instanceof TemplateError) {
      throw new FetchError("config", `${m.id}: ${e.message} (set it with keyz map --param)`);
    }
    throw e;
  }
}
