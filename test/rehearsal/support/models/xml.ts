/** Small helpers the proxy models share to read and edit EC2's XML answers (moto's Query protocol output). */
import { tag, topLevelItems } from '../proxy';

export { tag, topLevelItems };

/** Every value of `<name>` in `xml`, in order. */
export function tags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1] as string);
}

/** The top-level items of `<setName>` as strings. */
export function items(xml: string, setName: string): string[] {
  return topLevelItems(xml, setName).map(([s, e]) => xml.slice(s, e));
}

/** `xml` with each top-level item of `<setName>` replaced by `edit(item)` (an empty string drops it). */
export function editItems(xml: string, setName: string, edit: (item: string) => string): string {
  let out = xml;
  for (const [s, e] of topLevelItems(xml, setName).reverse())
    out = out.slice(0, s) + edit(out.slice(s, e)) + out.slice(e);
  return out;
}

/** The values of a Query list parameter (`NatGatewayId.1`, `NatGatewayId.2`, …). */
export function listParam(form: URLSearchParams, name: string): string[] {
  return [...form.entries()].filter(([k]) => new RegExp(`^${name}\\.\\d+$`).test(k)).map(([, v]) => v);
}

/** The values of filter `name` (`Filter.N.Name` = name, `Filter.N.Value.M`). */
export function filterValues(form: URLSearchParams, name: string): string[] | undefined {
  const entry = [...form.entries()].find(([k, v]) => /^Filter\.\d+\.Name$/.test(k) && v === name);
  if (!entry) return undefined;
  const prefix = entry[0].replace(/Name$/, 'Value.');
  return [...form.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
}

/** The top-level items of every `<setName>` in `xml` (DescribeInstances has one instancesSet per reservation). */
export function allItems(xml: string, setName: string): string[] {
  const out: string[] = [];
  for (let at = xml.indexOf(`<${setName}>`); at >= 0; at = xml.indexOf(`<${setName}>`, at + 1)) {
    const rest = xml.slice(at);
    const close = rest.indexOf(`</${setName}>`);
    out.push(...items(rest.slice(0, close + setName.length + 3), setName));
  }
  return out;
}
