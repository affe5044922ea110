/**
 * `keyz doctor`: can this machine reach each provider host the store's keys go to? A TCP
 * connection to the host's https port, closed at once: nothing is sent, no key, no TLS
 * handshake. DNS failure, refusal and silence are told apart; every host is tried at once,
 * each for at most a few seconds.
 */
import type { Check } from "./checks.ts";

export type Reach = "ok" | "dns" | "refused" | "timeout" | "error";

export interface HostProbe {
  /** host[:port] as the manifest's base URL has it. */
  host: string;
  reach: Reach;
  /** The system's words, for `error`. */
  detail?: string;
}

export const PROBE_TIMEOUT_MS = 3000;

export async function probeHost(host: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<HostProbe> {
  const url = new URL(`https://${host}`);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port ? Number(url.port) : 443;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname, port });
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const conn = await Promise.race([connecting, timeout]);
    if (conn === "timeout") {
      // Close it should it connect later.
      connecting.then((c) => c.close(), () => {});
      return { host, reach: "timeout" };
    }
    conn.close();
    return { host, reach: "ok" };
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) return { host, reach: "refused" };
    const message = e instanceof Error ? e.message : String(e);
    if (
      /lookup address|name or service not known|nodename nor servname|no such host/i.test(message)
    ) {
      return { host, reach: "dns" };
    }
    return { host, reach: "error", detail: message.slice(0, 120) };
  } finally {
    clearTimeout(timer);
  }
}

const SAID: Record<Reach, string> = {
  ok: "reachable",
  dns: "does not resolve (DNS)",
  refused: "connection refused",
  timeout: `no answer within ${PROBE_TIMEOUT_MS / 1000} s`,
  error: "unreachable",
};

/** One doctor line per host: the providers that use it, what happened, that nothing was sent. */
export function reachabilityCheck(p: HostProbe, providers: readonly string[]): Check {
  const port = new URL(`https://${p.host}`).port || "443";
  const who = providers.join(", ");
  if (p.reach === "ok") {
    return {
      id: "network",
      status: "ok",
      message: `${p.host} (${who}): reachable (TCP ${port} answered; no key sent)`,
    };
  }
  return {
    id: "network",
    status: "warn",
    message: `${p.host} (${who}): ${SAID[p.reach]}${p.detail ? `: ${p.detail}` : ""}; no key sent`,
    hint: p.reach === "dns"
      ? "check the network or DNS (offline? keyz doctor --offline skips this)"
      : "check the network, a firewall or proxy; keyz sync keeps the last figures meanwhile",
  };
}
