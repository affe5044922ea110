/**
 * `keyz edit PATH [--note TEXT] [--tag T]... [--untag T]... [--expires DATE|never] [--env NAME]
 * [--low-balance N|none]`: what the browser's `e` sets, from the command line. The rules are
 * the browser's (src/sidecars/key_edit.ts); the write is one store write (lock, write, commit).
 */
import { KeyzError } from "../errors.ts";
import { withStoreWrite } from "../git/store_write.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { applyKeyEdits, EDITABLE, type EditableField, type KeyEdit } from "../sidecars/key_edit.ts";
import type { KeySidecar } from "../sidecars/schema.ts";
import { escapeTerminal } from "../util/text.ts";
import { recognizerOf } from "../view/entries.ts";
import { existingEntry, openContext } from "./context.ts";
import { color, isQuiet, out, outJson, outLines, table } from "./output.ts";

export interface EditFlags {
  note?: string;
  tag: string[];
  untag: string[];
  expires?: string;
  env?: string;
  lowBalance?: string;
  json?: boolean;
}

/** The edits in the order a person reads them: notes, tags added and removed, then the rest. */
export function editsOf(flags: EditFlags): KeyEdit[] {
  const edits: KeyEdit[] = [];
  if (flags.note !== undefined) edits.push({ field: "notes", text: flags.note });
  for (const t of flags.tag) edits.push({ field: "tag", text: t });
  for (const t of flags.untag) edits.push({ field: "untag", text: t });
  if (flags.expires !== undefined) edits.push({ field: "expires_at", text: flags.expires });
  if (flags.env !== undefined) edits.push({ field: "env", text: flags.env });
  if (flags.lowBalance !== undefined) edits.push({ field: "low_balance", text: flags.lowBalance });
  return edits;
}

const OPTION_OF: Record<KeyEdit["field"], string> = {
  notes: "--note",
  tags: "--tag",
  tag: "--tag",
  untag: "--untag",
  expires_at: "--expires",
  env: "--env",
  low_balance: "--low-balance",
};

/** What a person set, as `keyz edit --json` prints it (null: not set). */
export function editedFields(key: KeySidecar) {
  return {
    notes: key.notes ?? null,
    tags: key.tags ?? [],
    expires_at: key.expires_at ?? null,
    env: key.env ?? null,
    low_balance: key.low_balance ?? null,
  };
}

export async function editCommand(path: string, flags: EditFlags): Promise<number> {
  const edits = editsOf(flags);
  if (edits.length === 0) {
    throw new KeyzError(
      "usage",
      "nothing to edit",
      "give --note, --tag, --untag, --expires, --env or --low-balance",
    );
  }
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const config = await readStoreConfig(ctx.storeDir);
  const recognition = recognizerOf({ providers: ctx.providers, map: ctx.map, config })
    .recognize(p);
  if (recognition.kind !== "key") {
    throw new KeyzError(
      "usage",
      `${p} is not a key keyz recognises`,
      recognition.kind === "ignored"
        ? `it is ignored by "${recognition.rule}"`
        : `keyz map ${p} PROVIDER first`,
    );
  }
  const result = await withStoreWrite(
    { storeDir: ctx.storeDir, what: `edit ${p}`, gitMode: config.git ?? "commit" },
    async () => {
      const read = await ctx.sidecars.readKey(p);
      if (!read.ok && !read.missing) {
        throw new KeyzError("sidecar", `cannot edit ${p}: ${read.error.message}`, read.error.hint);
      }
      const r = applyKeyEdits(read.ok ? read.value : undefined, p, edits);
      if ("error" in r) {
        throw new KeyzError(
          "usage",
          `${OPTION_OF[r.field]}: ${r.error}`,
          `nothing of ${p} changed`,
        );
      }
      if (r.changed.length === 0) return { value: r };
      // Remembered so that after `pass mv` the notes follow the entry (record.ts does the same).
      const sha = await ctx.store.fileSha256(p);
      const key: KeySidecar = { ...r.key, ...(sha ? { gpg_sha256: sha } : {}) };
      await ctx.sidecars.writeKey(key);
      return {
        value: { key, changed: r.changed },
        message: `keyz: edit ${p} (${r.changed.join(", ")})`,
      };
    },
  );
  if (result.gitError) throw result.gitError;
  const { key, changed } = result.value;
  if (flags.json) {
    outJson({ path: p, changed, committed: result.committed, key: editedFields(key) });
    return 0;
  }
  if (!isQuiet()) {
    out(changed.length ? `edited ${escapeTerminal(p)}` : `${escapeTerminal(p)} unchanged`);
  }
  outLines(table(EDITABLE.map((f) => row(f, key, changed.includes(f)))));
  return 0;
}

function row(field: EditableField, key: KeySidecar, changed: boolean): string[] {
  const v = editedFields(key)[field];
  const text = Array.isArray(v) ? v.join(", ") : v === null ? "" : String(v);
  const shown = text === "" ? color.dim("-") : escapeTerminal(text);
  return [`  ${field}`, changed ? color.bold(shown) : shown, changed ? color.dim("(changed)") : ""];
}
