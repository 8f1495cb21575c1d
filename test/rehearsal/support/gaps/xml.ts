/**
 * Reading and editing EC2 Query XML answers (moto's): EC2 lists are `<fooSet><item>…</item></fooSet>`, a set's name
 * is unique to its shape, and values are text elements. Enough for the gap models; no attributes, no CDATA.
 */

/** The text of the first `<name>` element in `xml`, or undefined. */
export function tagOf(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** [start, end) of each top-level `<item>` of every `<setName>` element in `xml` (in order). */
export function setItems(xml: string, setName: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const open = `<${setName}>`;
  const close = `</${setName}>`;
  for (let at = xml.indexOf(open); at >= 0; at = xml.indexOf(open, at + open.length)) {
    const end = xml.indexOf(close, at);
    if (end < 0) break;
    const re = /<(\/?)item>/g;
    re.lastIndex = at + open.length;
    let depth = 0;
    let start = -1;
    for (let m = re.exec(xml); m && m.index < end; m = re.exec(xml)) {
      if (m[1] === '') {
        if (depth === 0) start = m.index;
        depth++;
      } else if (--depth === 0) out.push([start, m.index + m[0].length]);
    }
  }
  return out;
}

/** The items' text of every `<setName>` element. */
export function itemsOf(xml: string, setName: string): string[] {
  return setItems(xml, setName).map(([s, e]) => xml.slice(s, e));
}

/** `xml` with each item of `setName` replaced by `edit(item)` (edits from the end, so offsets stay valid). */
export function editItems(xml: string, setName: string, edit: (item: string) => string): string {
  let out = xml;
  for (const [s, e] of setItems(xml, setName).reverse()) out = out.slice(0, s) + edit(out.slice(s, e)) + out.slice(e);
  return out;
}

/** The numbered values of a Query list parameter (`NatGatewayId.1`, `NatGatewayId.2`, …). */
export function listParam(form: URLSearchParams, name: string): string[] {
  return [...form.entries()].filter(([k]) => new RegExp(`^${name}\\.\\d+$`).test(k)).map(([, v]) => v);
}

/** The Query `Filter.N.Name` / `Filter.N.Value.M` pairs, by filter name. */
export function filtersOf(form: URLSearchParams): Map<string, string[]> {
  const names = new Map<string, string>();
  const values = new Map<string, string[]>();
  for (const [k, v] of form) {
    const n = /^Filter\.(\d+)\.Name$/.exec(k);
    if (n) names.set(n[1] as string, v);
    const m = /^Filter\.(\d+)\.Value\.\d+$/.exec(k);
    if (m) values.set(m[1] as string, [...(values.get(m[1] as string) ?? []), v]);
  }
  return new Map([...names].map(([n, name]) => [name, values.get(n) ?? []]));
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
