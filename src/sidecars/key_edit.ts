/**
 * The one validator for what a person sets on a key: notes, tags, expiry, environment variable
 * name and low-balance threshold. `keyz edit` and the browser's edit both go through it, so
 * they accept and refuse the same input. Pure: the current key sidecar and the edits in, the
 * new sidecar (or the first problem) out.
 */
import { refusedEnvName } from "../keyenv/names.ts";
import { SCHEMA_VERSION } from "./layout.ts";
import { isoSeconds } from "../util/time.ts";
import type { KeySidecar } from "./schema.ts";

/** The fields a person edits; `tag` / `untag` add or remove one tag (the command line). */
export type KeyEditField =
  | "notes"
  | "tags"
  | "tag"
  | "untag"
  | "expires_at"
  | "env"
  | "low_balance";

/** One edit as typed: the field and its text ("" clears a field; "never"/"none" too where said). */
export interface KeyEdit {
  field: KeyEditField;
  text: string;
}

/** The sidecar fields a person edits, in the order they are shown. */
export const EDITABLE = ["notes", "tags", "expires_at", "env", "low_balance"] as const;
export type EditableField = typeof EDITABLE[number];

export type KeyEditResult =
  | { key: KeySidecar; changed: EditableField[] }
  | { error: string; field: KeyEditField };

/** Limits on what a person types (trust rule 5: whatever keyz writes, it can read back). */
export const NOTES_MAX = 1000;
export const TAG_MAX = 64;
export const TAGS_MAX = 32;

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Parsed<T> = { value: T | undefined } | { error: string };

function parseNotes(text: string): Parsed<string> {
  const t = text.trim();
  if (CONTROL.test(t)) return { error: "notes are one line of text (no control characters)" };
  if (t.length > NOTES_MAX) return { error: `notes are at most ${NOTES_MAX} characters` };
  return { value: t || undefined };
}

function parseTag(text: string): Parsed<string> {
  const t = text.trim();
  if (!t) return { error: "a tag cannot be empty" };
  if (/[\s,]/.test(t) || CONTROL.test(t)) {
    return { error: `bad tag "${t}": no spaces, commas or control characters` };
  }
  if (t.length > TAG_MAX) return { error: `a tag is at most ${TAG_MAX} characters` };
  return { value: t };
}

/** Tags as the browser takes them: separated by commas or spaces. */
function parseTagList(text: string): Parsed<string[]> {
  const tags: string[] = [];
  for (const word of text.split(/[,\s]+/).filter(Boolean)) {
    const r = parseTag(word);
    if ("error" in r) return r;
    if (!tags.includes(r.value!)) tags.push(r.value!);
  }
  return { value: tags };
}

/** `2026-12-31`, `2026-12-31T18:00Z`, `2026-12-31T18:00:00Z`; "" or `never` clears it. */
function parseExpiry(text: string): Parsed<string> {
  const t = text.trim();
  if (!t || t.toLowerCase() === "never") return { value: undefined };
  const m = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2})?Z?)?$/.exec(t);
  const ms = m ? Date.parse(m[2] ? (t.endsWith("Z") ? t : `${t}Z`) : `${m[1]}T00:00:00Z`) : NaN;
  if (!m || Number.isNaN(ms)) return { error: "use a date like 2026-12-31 (or never)" };
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 9999) return { error: "use a date between 1970 and 9999" };
  // Date.parse rolls 2026-02-31 over to March: only a date that reads back the same is taken.
  if (new Date(ms).toISOString().slice(0, 10) !== m[1]) {
    return { error: `${m[1]} is not a date in the calendar` };
  }
  return { value: isoSeconds(new Date(ms)) };
}

/** A variable name keyz may set; "" clears it (the provider's usual name applies again). */
function parseEnvName(text: string): Parsed<string> {
  const t = text.trim();
  if (!t) return { value: undefined };
  if (!ENV_NAME.test(t) || t.length > 128) {
    return { error: "letters, digits and _ only, e.g. OPENAI_API_KEY" };
  }
  const refused = refusedEnvName(t);
  if (refused) return { error: `keyz never sets ${refused}` };
  return { value: t };
}

/** A threshold in the key's currency; "" or `none` clears it. */
function parseLowBalance(text: string): Parsed<number> {
  const t = text.trim();
  if (!t || t.toLowerCase() === "none") return { value: undefined };
  const n = Number(t);
  if (!/^\d+(\.\d+)?$/.test(t) || !Number.isFinite(n)) {
    return { error: "give an amount such as 5 or 2.50 (or none)" };
  }
  return { value: n };
}

function setOrDelete<K extends keyof KeySidecar>(key: KeySidecar, k: K, v: KeySidecar[K]) {
  if (v === undefined) delete key[k];
  else key[k] = v;
}

/**
 * Apply edits in order to a key's sidecar (a new one when it has none). The first invalid edit
 * stops everything: nothing is half applied. `changed` lists the fields whose value differs.
 */
export function applyKeyEdits(
  current: KeySidecar | undefined,
  path: string,
  edits: readonly KeyEdit[],
): KeyEditResult {
  const before: KeySidecar = current ?? { schema_version: SCHEMA_VERSION, path };
  const key: KeySidecar = { ...before, ...(before.tags ? { tags: [...before.tags] } : {}) };
  for (const { field, text } of edits) {
    switch (field) {
      case "notes": {
        const r = parseNotes(text);
        if ("error" in r) return { error: r.error, field };
        setOrDelete(key, "notes", r.value);
        break;
      }
      case "tags": {
        const r = parseTagList(text);
        if ("error" in r) return { error: r.error, field };
        setOrDelete(key, "tags", r.value?.length ? r.value : undefined);
        break;
      }
      case "tag":
      case "untag": {
        const r = parseTag(text);
        if ("error" in r) return { error: r.error, field };
        const tags = (key.tags ?? []).filter((t) => t !== r.value);
        if (field === "tag") tags.push(r.value!);
        setOrDelete(key, "tags", tags.length ? tags : undefined);
        break;
      }
      case "expires_at": {
        const r = parseExpiry(text);
        if ("error" in r) return { error: r.error, field };
        setOrDelete(key, "expires_at", r.value);
        break;
      }
      case "env": {
        const r = parseEnvName(text);
        if ("error" in r) return { error: r.error, field };
        setOrDelete(key, "env", r.value);
        break;
      }
      case "low_balance": {
        const r = parseLowBalance(text);
        if ("error" in r) return { error: r.error, field };
        setOrDelete(key, "low_balance", r.value);
        break;
      }
    }
  }
  if ((key.tags?.length ?? 0) > TAGS_MAX) {
    return { error: `a key has at most ${TAGS_MAX} tags`, field: "tags" };
  }
  const changed = EDITABLE.filter((f) =>
    JSON.stringify(key[f] ?? null) !== JSON.stringify(before[f] ?? null)
  );
  return { key, changed };
}
