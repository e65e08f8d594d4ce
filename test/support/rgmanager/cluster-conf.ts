/**
 * Reads a resource instance out of a cluster.conf the way rgmanager resolves it for one tree node:
 * the element's attributes, plus inheritance (`attr` = the immediate parent's attribute, `type%attr` =
 * the nearest ancestor of that type; contract reference §1.10).
 */
import type { ResourceInstance } from "./rgmanager-env.js";
import { childElements, parseXml, type XmlElement } from "./xml.js";

function findPath(el: XmlElement, type: string, path: XmlElement[]): XmlElement[] | undefined {
  if (el.name === type) return [...path, el];
  for (const child of childElements(el)) {
    const found = findPath(child, type, [...path, el]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The first `<type>` element under <rm> (document order), as a resource instance. */
export function resourceInstance(clusterConf: string, type: string): ResourceInstance {
  const path = findPath(parseXml(clusterConf), type, []);
  if (path === undefined) throw new Error(`cluster.conf has no <${type}> element`);
  const el = path[path.length - 1]!;
  const ancestors = path.slice(0, -1).reverse();
  return {
    attributes: Object.fromEntries(el.attributes),
    inherit: (spec) => {
      const [ofType, attr] = spec.includes("%") ? (spec.split("%", 2) as [string, string]) : [undefined, spec];
      const source = ofType === undefined ? ancestors[0] : ancestors.find((a) => a.name === ofType);
      return source?.attributes.get(attr);
    },
  };
}
