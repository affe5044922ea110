/**
 * The provider manifest language. A provider is data: one JSONC file validated by this schema.
 * `deno task schema` writes schema/provider.schema.json from it.
 */
import { z } from "zod";
import { FetchErrorKinds } from "../errors.ts";
import { isPath, PATH_PATTERN } from "./jsonpath.ts";

const FIGURE_KINDS = ["balance", "spend", "quota", "unavailable"] as const;
export const FigureKind = z.enum(FIGURE_KINDS);
export type FigureKind = z.infer<typeof FigureKind>;

export const FetchErrorKindSchema = z.enum(FetchErrorKinds);

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A decimal given as a JSON number or a string such as "0.01" (kept exact). */
const DecimalLiteral = z.union([
  z.number().refine(Number.isFinite, "must be a finite number"),
  z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal such as "0.01"'),
]);

const Template = z.string().max(2000).describe(
  "Text with {placeholders}: variables ({team_id}, {region}, ...) or times " +
    "({now|unix}, {now-30d|rfc3339}, {month_start|date}, {today|ms}).",
);

/**
 * A typed path into a JSON response: `a.b[0].c`, `items[*].cost` (every element),
 * `balance_infos[currency=USD].total_balance` (first element whose field equals the value),
 * `limits[?type=TOKENS_LIMIT].percentage` (every element whose field equals the value),
 * `list[-1]` (last element).
 */
const JsonPath = z.string().min(1).max(500).refine(
  isPath,
  "must be a path such as data.items[0].value, data[*].amount or infos[currency=USD].total",
).meta({ pattern: PATH_PATTERN });

/**
 * A condition on a sibling field (compared as text, so 1 and "1" are equal): the value is used
 * only when it holds, and is otherwise unknown, whatever its `default`.
 */
const When = z.strictObject({
  path: JsonPath.describe("Field of the same response (or window element) to test"),
  equals: Scalar.optional(),
  in: z.array(Scalar).min(1).optional(),
}).refine((w) => (w.equals === undefined) !== (w.in === undefined), {
  message: "needs exactly one of equals, in",
});

const ValueType = z.enum(["decimal", "string", "boolean", "timestamp"]).describe(
  "decimal: a JSON number or numeric string, kept exact; timestamp: ISO 8601 or epoch " +
    "(see unit); string/boolean as is.",
);

const Modifiers = {
  type: ValueType.optional(),
  /** Epoch unit for timestamps given as numbers. */
  unit: z.enum(["s", "ms"]).optional(),
  /** Multiply by this exact decimal (cents to dollars: "0.01"). */
  scale: DecimalLiteral.optional(),
  /** Flip the sign (xAI's inverted ledger). */
  negate: z.boolean().optional(),
  /** How to reduce several values (from `[*]` or pages) to one. Default: sum for decimals. */
  aggregate: z.enum(["sum", "first", "last", "min", "max", "count"]).optional(),
  /** Used when the value is missing; without it, a missing value leaves the field unknown. */
  default: z.union([z.number(), z.string(), z.boolean(), z.null()]).optional(),
  when: When.optional().describe(
    "Use the value only when this holds (MiniMax: the weekly window only while its status is " +
      "1 or 2); otherwise it is unknown and `default` does not apply",
  ),
};

/** A condition on a field of the same response: it holds when the field equals one value. */
export interface WhenShape {
  path: string;
  equals?: number | string | boolean;
  in?: (number | string | boolean)[];
}

export interface ValueExprShape {
  path?: string;
  step?: string;
  const?: number | string | boolean;
  difference?: [ValueExprShape, ValueExprShape];
  sum?: ValueExprShape[];
  first?: ValueExprShape[];
  ratio?: [ValueExprShape, ValueExprShape];
  max?: ValueExprShape[];
  min?: ValueExprShape[];
  type?: "decimal" | "string" | "boolean" | "timestamp";
  unit?: "s" | "ms";
  scale?: number | string;
  negate?: boolean;
  aggregate?: "sum" | "first" | "last" | "min" | "max" | "count";
  default?: number | string | boolean | null;
  when?: WhenShape;
}

/**
 * How to compute one figure: from a path in a step's response, a constant, the difference of
 * two values, the sum of several, the first of several that is present, a ratio as a
 * percentage, or the largest / smallest of several; each with optional type, scale, sign and
 * aggregation.
 */
export const ValueExpr: z.ZodType<ValueExprShape> = z.lazy(() =>
  z.strictObject({
    path: JsonPath.optional(),
    step: z.string().optional().describe("Id of the step whose response to read (default: last)"),
    const: z.union([z.number(), z.string(), z.boolean()]).optional(),
    difference: z.tuple([ValueExpr, ValueExpr]).optional().describe("first minus second"),
    sum: z.array(ValueExpr).min(1).optional(),
    first: z.array(ValueExpr).min(1).optional().describe(
      "the first of these that the response carries (a field renamed between API versions)",
    ),
    ratio: z.tuple([ValueExpr, ValueExpr]).optional().describe(
      "[used, limit] as a percentage: 100 × used / limit, exact, rounded to 6 decimal places; " +
        "a zero limit leaves the figure unknown",
    ),
    max: z.array(ValueExpr).min(1).optional().describe(
      "the largest of these numbers or timestamps that the response carries",
    ),
    min: z.array(ValueExpr).min(1).optional().describe(
      "the smallest (earliest) of these numbers or timestamps that the response carries",
    ),
    ...Modifiers,
  }).refine(
    (v) =>
      [v.path, v.const, v.difference, v.sum, v.first, v.ratio, v.max, v.min]
        .filter((x) => x !== undefined).length === 1,
    { message: "needs exactly one of path, const, difference, sum, first, ratio, max, min" },
  )
);

const HeaderName = z.string().regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name");

const Check = z.strictObject({
  path: JsonPath.describe("Field that says whether the call succeeded"),
  equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
  in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  message: JsonPath.optional().describe("Field with the provider's error message"),
  code: JsonPath.optional().describe("Field with the provider's error code"),
  codeKinds: z.record(z.string(), FetchErrorKindSchema).optional().describe(
    'Error kind per provider error code, e.g. {"401": "auth"}; others are `provider`',
  ),
}).refine((c) => (c.equals === undefined) !== (c.in === undefined), {
  message: "needs exactly one of equals, in",
}).describe("Success predicate for errors returned inside HTTP 200 bodies");

const ErrorCodes = z.strictObject({
  code: JsonPath.describe("Field of an HTTP error body with the provider's error code"),
  codeKinds: z.record(z.string(), FetchErrorKindSchema),
}).describe(
  "Error kind by the code in an HTTP error body, e.g. Google's HTTP 400 with " +
    '{"code": "error.details[0].reason", "codeKinds": {"API_KEY_INVALID": "auth"}}',
);

const StatusKinds = z.record(z.string().regex(/^[1-5][0-9][0-9]$/), FetchErrorKindSchema)
  .describe(
    "Error kind per HTTP status where the provider means something else than usual, e.g. " +
      '{"403": "provider"} (Google: the key exists but may not use this API; not revoked). ' +
      "`errorCodes` still applies on top.",
  );

const Paginate = z.strictObject({
  hasMore: JsonPath.describe("Boolean field: more pages follow"),
  cursor: JsonPath.describe("Field with the next page's cursor"),
  param: z.string().min(1).describe("Query parameter that carries the cursor"),
  maxPages: z.int().min(1).max(100).default(20),
});

const RelativePath = z.string().max(2000).regex(
  /^\/(?!\/)[^\s#\\]*$/,
  "must start with a single / and stay on the provider's host (no scheme, no //, no #)",
).refine(
  (p) => !p.split("/").some((s) => /^(?:\.|%2e){1,2}$/i.test(s)),
  "must not contain . or .. segments",
);

export const Step = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, "must be lower_snake_case"),
  method: z.enum(["GET", "POST"]).default("GET"),
  path: RelativePath.describe("Path template below baseUrl, e.g. /v1/teams/{team_id}/balance"),
  query: z.record(z.string(), Template).optional(),
  headers: z.record(HeaderName, Template).optional(),
  body: z.unknown().optional().describe("JSON body for POST; string values are templates"),
  check: z.union([Check, z.array(Check).min(1)]).optional().describe(
    "One success predicate, or several that must all hold",
  ),
  paginate: Paginate.optional(),
  statusKinds: StatusKinds.optional(),
  errorCodes: ErrorCodes.optional(),
  /**
   * Variables taken from this step's response for later steps, e.g. {"team_id": "scopeId"};
   * a list of paths takes the first one present.
   */
  extract: z.record(
    z.string().regex(/^[a-z][a-z0-9_]*$/),
    z.union([JsonPath, z.array(JsonPath).min(1)]),
  ).optional(),
});
export type Step = z.infer<typeof Step>;

/**
 * One quota window (a 5-hour one, a weekly one, ...). The binding window, the one with the
 * highest share used, gives both quota_used_percent and quota_resets_at.
 */
const QuotaWindow = z.strictObject({
  each: JsonPath.optional().describe(
    "Every element this path reaches is a window (e.g. limits[*].detail); the paths in used " +
      "and resets are then relative to the element",
  ),
  step: z.string().optional().describe("Id of the step whose response to read (default: last)"),
  used: ValueExpr.describe("Percent of the window used, 0-100 (a window without it is skipped)"),
  resets: ValueExpr.optional().describe("When the window resets (a timestamp)"),
});

const Fields = z.strictObject({
  balance: ValueExpr.optional(),
  credits_total: ValueExpr.optional(),
  credits_used: ValueExpr.optional(),
  spend: ValueExpr.optional(),
  limit: ValueExpr.optional(),
  limit_remaining: ValueExpr.optional(),
  quota_used_percent: ValueExpr.optional(),
  quota_resets_at: ValueExpr.optional(),
  quota_windows: z.array(QuotaWindow).min(1).max(20).optional().describe(
    "Instead of quota_used_percent and quota_resets_at: the windows of a plan; the one with the " +
      "highest share used binds, and its reset is the reset (on a tie, the later one)",
  ),
  expires_at: ValueExpr.optional(),
  label: ValueExpr.optional(),
  plan: ValueExpr.optional(),
  account_id: ValueExpr.optional(),
  available: ValueExpr.optional().describe("false when the provider says the key cannot be used"),
}).refine(
  (f) =>
    !f.quota_windows || (f.quota_used_percent === undefined && f.quota_resets_at === undefined),
  {
    message: "quota_windows replaces quota_used_percent and quota_resets_at",
    path: ["quota_windows"],
  },
);
export type Fields = z.infer<typeof Fields>;

const Currency = z.union([
  z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"),
  z.strictObject({ path: JsonPath, step: z.string().optional() }),
]).describe("Fixed ISO 4217 code, or a field of the response holding it");

/** The requests and mapping that produce one figure. */
/** What a fallback may yield: one kind, or several in order of preference. */
const PlanKind = z.union([
  FigureKind,
  z.array(z.enum(["balance", "spend", "quota"])).min(1).max(3).describe(
    "The first of these kinds whose figure the response carries (OpenRouter's /key: the key's " +
      "remaining limit when it has one, else its spend)",
  ),
]);

const Plan = z.strictObject({
  kind: PlanKind,
  steps: z.array(Step).min(1).max(5),
  fields: Fields,
  currency: Currency.optional(),
  spendWindow: z.strictObject({ start: Template, end: Template }).optional(),
});

const Region = z.strictObject({
  baseUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  dashboard: z.url().optional(),
  unavailable: z.string().min(1).max(500).optional().describe(
    "This region has no account API, and why: its keys get the figure kind unavailable with " +
      "this reason, and no request is sent (e.g. an endpoint the provider retired there)",
  ),
}).refine((r) => r.baseUrl !== undefined || r.unavailable !== undefined, {
  message: "baseUrl is required (unless the region is unavailable)",
  path: ["baseUrl"],
});

const Auth = z.strictObject({
  header: HeaderName.default("Authorization"),
  /** "Bearer" sends `Bearer <key>`; "" sends the raw key. */
  scheme: z.string().regex(/^[A-Za-z]*$/).default("Bearer"),
});

/**
 * For providers without an account API: one cheap authenticated GET (a models list) that says
 * whether the key works. 2xx: key_valid; 401/403 (or an `errorCodes` match): auth error.
 */
const KeyCheck = z.strictObject({
  path: RelativePath.describe("Path below baseUrl, e.g. /v1/models"),
  query: z.record(z.string(), Template).optional(),
  headers: z.record(HeaderName, Template).optional(),
  auth: Auth.optional().describe("How the key is sent here, when not as the manifest's auth"),
  check: z.union([Check, z.array(Check).min(1)]).optional(),
  statusKinds: StatusKinds.optional(),
  errorCodes: ErrorCodes.optional(),
});

/**
 * The shape of a key: an RE2 regex (run by re2js, linear time) that the WHOLE secret must
 * match. Checked when a manifest loads and before any secret is sent (src/providers/key_shape.ts).
 */
const KeyPattern = z.string().min(1).max(1000).describe(
  "RE2 regex the whole key must match, e.g. ^sk-or-v1-[0-9a-f]{64}$ (no lookaround or " +
    "backreferences). A secret that does not match is never sent.",
);
const KeyPatternSource = z.enum(["documented", "conservative"]).describe(
  "documented: the provider documents this shape (cite it in a comment); conservative: it " +
    "documents none, so the pattern only excludes what cannot be a key (e.g. [!-~]{16,512}).",
);

/**
 * A value the user may give a key with `keyz map --param NAME=VALUE` (or as a `name: value` line
 * in the pass entry), for `{name}` in the manifest's paths and templates. `map` refuses names a
 * manifest does not declare and values outside `values` or `pattern`.
 */
export const Param = z.strictObject({
  description: z.string().min(1).max(500),
  /** The only values allowed. */
  values: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
  /** An RE2 pattern the whole value must match (when there is no list of values). */
  pattern: z.string().min(1).max(500).optional(),
  /** Whether keyz can do without it (e.g. it finds the value itself); default true. */
  optional: z.boolean().default(true),
});
export type Param = z.infer<typeof Param>;

export const Manifest = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "must be lower-case letters, digits and -"),
  name: z.string().min(1),
  aliases: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/)).default([]),
  /** Usual environment variable for the key (keyz run / keyz env). */
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  docs: z.url().optional(),
  dashboard: z.url().optional(),
  keyType: z.string().min(1).describe('What key is needed, e.g. "inference key", "admin key"'),
  keyPattern: KeyPattern,
  keyPatternSource: KeyPatternSource.default("conservative"),
  /**
   * Parameters a key may be given (`keyz map --param`); `region` is implied by `regions`, with
   * their names as the values.
   */
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), Param).optional(),
  /** A separate credential (admin or management key) the account API needs. */
  credential: z.strictObject({
    required: z.boolean(),
    description: z.string().min(1),
    /**
     * The shape of such a credential: a mapped credential must match it. When the shape is
     * documented, a key that matches it is itself such a credential.
     */
    keyPattern: KeyPattern,
    keyPatternSource: KeyPatternSource.default("conservative"),
  }).optional(),
  refreshMinutes: z.int().min(1).default(60),
  lowBalance: z.number().min(0).optional(),
  baseUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
  regions: z.record(z.string().regex(/^[a-z0-9-]+$/), Region).optional(),
  defaultRegion: z.string().optional(),
  auth: Auth.default({ header: "Authorization", scheme: "Bearer" }),
  headers: z.record(HeaderName, Template).optional(),
  timeoutMs: z.int().min(100).max(120_000).default(15_000),
  retries: z.int().min(0).max(5).default(2),
  concurrency: z.int().min(1).max(32).default(8),
  maxResponseBytes: z.int().min(1024).max(50_000_000).default(2_000_000),
  kind: FigureKind,
  /** For `unavailable`: why, shown to the user next to the dashboard URL. */
  reason: z.string().optional(),
  keyCheck: KeyCheck.optional(),
  steps: z.array(Step).max(5).optional(),
  fields: Fields.optional(),
  currency: Currency.optional(),
  spendWindow: z.strictObject({ start: Template, end: Template }).optional(),
  /** Tried when the main plan fails with one of these kinds (OpenRouter /credits -> /key). */
  fallback: Plan.extend({
    on: z.array(FetchErrorKindSchema).default([]),
    /** Use the key itself rather than the credential. */
    useKey: z.boolean().default(true),
    withoutCredential: z.boolean().default(false).describe(
      "Run this plan instead of the main one when no credential is mapped and the key is not " +
        "one itself (the main plan is for the credential only: OpenRouter /credits)",
    ),
  }).refine((f) => f.on.length > 0 || f.withoutCredential, {
    message: "needs on (error kinds) or withoutCredential",
    path: ["on"],
  }).optional(),
}).superRefine((m, ctx) => {
  if (m.kind === "unavailable") {
    if (!m.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: "is required" });
    if (!m.dashboard) ctx.addIssue({ code: "custom", path: ["dashboard"], message: "is required" });
    if (m.keyCheck && !m.baseUrl && !m.regions) {
      ctx.addIssue({
        code: "custom",
        path: ["baseUrl"],
        message: "baseUrl or regions is required for keyCheck",
      });
    }
    return;
  }
  if (m.keyCheck) {
    ctx.addIssue({
      code: "custom",
      path: ["keyCheck"],
      message: "is only for kind unavailable (the steps already check the key)",
    });
  }
  if (!m.baseUrl && !m.regions) {
    ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "baseUrl or regions is required" });
  }
  if (!m.steps?.length) ctx.addIssue({ code: "custom", path: ["steps"], message: "is required" });
  if (!m.fields) ctx.addIssue({ code: "custom", path: ["fields"], message: "is required" });
  const want: Record<string, keyof Fields> = {
    balance: "balance",
    spend: "spend",
    quota: "quota_used_percent",
  };
  const f = want[m.kind];
  const alternative = m.kind === "balance"
    ? m.fields?.limit_remaining
    : m.kind === "quota"
    ? m.fields?.quota_windows
    : undefined;
  if (f && m.fields && !m.fields[f] && !alternative) {
    ctx.addIssue({
      code: "custom",
      path: ["fields", f],
      message: `is required for kind ${m.kind}`,
    });
  }
  if (m.regions && m.defaultRegion && !(m.defaultRegion in m.regions)) {
    ctx.addIssue({ code: "custom", path: ["defaultRegion"], message: "names no region" });
  }
});
export type Manifest = z.infer<typeof Manifest>;
export type ManifestInput = z.input<typeof Manifest>;
export type Plan = z.infer<typeof Plan>;
