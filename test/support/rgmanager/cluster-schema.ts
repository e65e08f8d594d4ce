/**
 * Assembles cluster.rng the way ccs_update_schema does (contract reference §2.2, §2.4, and
 * shared/reference/README.md): cluster.rng.in.head, resources.rng.head, ra2rng of every agent,
 * resources.rng.mid, ra2ref of every agent, resources.rng.tail, a fence stub, cluster.rng.in.tail.
 * Agents are taken in sorted file order with service first, as ccs_update_schema orders them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { RGMANAGER_REFERENCE, requireFile } from "./paths.js";
import { ra2ref, ra2rng } from "./ra2rng.js";

/** One agent's meta-data output, named like the file it came from (for messages and ordering). */
export interface AgentMetadata {
  readonly source: string;
  readonly metadata: string;
}

/**
 * The fence section: this repository has no fence agents' meta-data, so FENCEDEVICEOPTIONS is empty
 * (a stub that declares `agent` clashes with the attributes cluster.rng.in.head already declares).
 */
export const FENCE_STUB = '<!-- fence agents: none (stub) -->\n  <define name="FENCEDEVICEOPTIONS">\n    <empty/>\n  </define>\n';

const PIECES = {
  clusterHead: "cman-3.1.8/cluster.rng.in.head",
  clusterTail: "cman-3.1.8/cluster.rng.in.tail",
  resourcesHead: "resources.rng.head",
  resourcesMid: "resources.rng.mid",
  resourcesTail: "resources.rng.tail",
} as const;

function piece(name: keyof typeof PIECES, referenceDir: string): string {
  const path = join(referenceDir, PIECES[name]);
  return readFileSync(requireFile(path, "a reference schema piece (shared/reference/rgmanager, see its README.md)"), "utf8");
}

/** The stock agents' meta-data from shared/reference/rgmanager/agents-metadata (service first). */
export function stockAgents(referenceDir = RGMANAGER_REFERENCE): AgentMetadata[] {
  const dir = join(referenceDir, "agents-metadata");
  requireFile(dir, "the stock rgmanager agents' meta-data (shared/reference/rgmanager/agents-metadata)");
  const agents = readdirSync(dir)
    .filter((f) => f.endsWith(".xml"))
    .sort()
    .map((f) => ({ source: basename(f, ".xml"), metadata: readFileSync(join(dir, f), "utf8") }));
  return orderLikeCcsUpdateSchema(agents);
}

/** Sorted by source name, with `service` moved to the front. */
export function orderLikeCcsUpdateSchema(agents: readonly AgentMetadata[]): AgentMetadata[] {
  const sorted = [...agents].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return [...sorted.filter((a) => a.source === "service"), ...sorted.filter((a) => a.source !== "service")];
}

/** The generated resources section (what ccs_update_schema caches as resources.rng.cache). */
export function buildResourcesRng(agents: readonly AgentMetadata[], referenceDir = RGMANAGER_REFERENCE): string {
  return [
    piece("resourcesHead", referenceDir),
    ...agents.map((a) => ra2rng(a.metadata)),
    piece("resourcesMid", referenceDir),
    ...agents.map((a) => ra2ref(a.metadata)),
    piece("resourcesTail", referenceDir),
  ].join("");
}

/** The whole cluster.rng for these agents. */
export function buildClusterRng(agents: readonly AgentMetadata[], referenceDir = RGMANAGER_REFERENCE): string {
  return [piece("clusterHead", referenceDir), buildResourcesRng(agents, referenceDir), FENCE_STUB, piece("clusterTail", referenceDir)].join("");
}
