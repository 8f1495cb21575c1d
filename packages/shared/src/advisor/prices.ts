/**
 * Prices for the mode advisor: the AWS Price List Query API (`pricing:GetProducts`) when the role may call
 * it, else the dated table below. Every price carries where it came from, so the advice can say so.
 *
 * Facts (sources):
 * - NAT gateway: an hourly charge per gateway (a regional gateway: per Availability Zone it is active in) and a
 *   per-GB data processing charge on every byte it processes, both directions
 *   (https://aws.amazon.com/vpc/pricing/, https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html).
 * - Public IPv4: $0.005 per address-hour for every public IPv4 address, in use or idle, since 1 February 2024
 *   (https://aws.amazon.com/vpc/pricing/, "Public IPv4 Address").
 * - Data transfer between Availability Zones in a region: $0.01/GB in each direction; data transfer out to the
 *   internet: $0.09/GB for the first 10 TB/month (https://aws.amazon.com/ec2/pricing/on-demand/, "Data Transfer").
 * - The Price List Query API has two endpoints, us-east-1 and ap-south-1
 *   (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_Operations_AWS_Price_List_Service.html).
 */
import { PricingClient, paginateGetProducts, type Filter } from '@aws-sdk/client-pricing';
import { awsErrorCode } from '../aws/index';
import { describeError } from '../runtime/index';

import type { PriceSource } from './types';

export type { PriceSource };

export interface Price {
  /** US dollars per `unit`. */
  usd: number;
  unit: 'hour' | 'GB' | 'address-hour';
  source: PriceSource;
}

/** The prices one piece of advice uses. */
export interface PriceBook {
  region: string;
  /** On-demand Linux price per instance-hour, by instance type. A type missing here could not be priced. */
  instanceHour: Record<string, Price>;
  natGatewayHour: Price;
  natGatewayGB: Price;
  publicIpv4Hour: Price;
  /** Per GB crossing between AZs, both directions together ($0.01 out + $0.01 in). */
  crossAzGB: Price;
  /** First-tier internet data transfer out, per GB: the same in every mode (shown once). */
  dataTransferOutGB: Price;
  /** `price-list-api` when every price came from the API, `table` when none did, else `mixed`. */
  source: PriceSource | 'mixed';
  /** The table's date and URL when any price came from it. */
  table?: { asOf: string; url: string; region: string };
  /** Why the API was not (fully) used, and other caveats. */
  notes: string[];
  /** Price List API calls (pages) made. */
  calls: number;
}

/**
 * The dated fallback table: on-demand prices as published on the AWS pricing pages for these regions
 * (identical in all three). Update `asOf` whenever a figure is changed.
 */
export const PRICE_TABLE = {
  asOf: '2026-11-30',
  url: 'https://aws.amazon.com/vpc/pricing/ and https://aws.amazon.com/ec2/pricing/on-demand/',
  regions: ['us-east-1', 'us-east-2', 'us-west-2'],
  natGatewayHour: 0.045,
  natGatewayGB: 0.045,
  publicIpv4Hour: 0.005,
  crossAzGB: 0.02,
  dataTransferOutGB: 0.09,
  instanceHour: {
    't3.nano': 0.0052,
    't3.micro': 0.0104,
    't3.small': 0.0208,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    't3.2xlarge': 0.3328,
    't3a.nano': 0.0047,
    't3a.micro': 0.0094,
    't3a.small': 0.0188,
    't3a.medium': 0.0376,
    't3a.large': 0.0752,
    't4g.nano': 0.0042,
    't4g.micro': 0.0084,
    't4g.small': 0.0168,
    't4g.medium': 0.0336,
    't4g.large': 0.0672,
    'c6gn.medium': 0.0432,
    'c6gn.large': 0.0864,
    'c5n.large': 0.108,
  } as Record<string, number>,
} as const;

/** The table's prices for `region` (us-east-1's, with a note, for a region the table does not cover). */
export function tablePrices(region: string, instanceTypes: string[]): PriceBook {
  const t = PRICE_TABLE;
  const notes: string[] = [];
  const tableRegion = (t.regions as readonly string[]).includes(region) ? region : 'us-east-1';
  if (tableRegion !== region)
    notes.push(`The price table covers ${t.regions.join(', ')} only: ${region} is priced at us-east-1 rates`);
  const p = (usd: number, unit: Price['unit']): Price => ({ usd, unit, source: 'table' });
  const instanceHour: Record<string, Price> = {};
  for (const type of instanceTypes) {
    const usd = t.instanceHour[type];
    if (usd !== undefined) instanceHour[type] = p(usd, 'hour');
    else notes.push(`${type} is not in the price table: instance mode of that type is not priced`);
  }
  return {
    region,
    instanceHour,
    natGatewayHour: p(t.natGatewayHour, 'hour'),
    natGatewayGB: p(t.natGatewayGB, 'GB'),
    publicIpv4Hour: p(t.publicIpv4Hour, 'address-hour'),
    crossAzGB: p(t.crossAzGB, 'GB'),
    dataTransferOutGB: p(t.dataTransferOutGB, 'GB'),
    source: 'table',
    table: { asOf: t.asOf, url: t.url, region: tableRegion },
    notes,
    calls: 0,
  };
}

/** us-east-1, or ap-south-1 for Asia-Pacific, Middle East and Africa regions (the two Price List endpoints). */
export function pricingEndpointRegion(region: string): string {
  return /^(ap|me|af|il)-/.test(region) ? 'ap-south-1' : 'us-east-1';
}

interface PriceListProduct {
  product?: { attributes?: Record<string, string> };
  terms?: {
    OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }> }>;
  };
}

/** The on-demand USD prices (with their units) in a GetProducts answer's PriceList entries. */
export function onDemandPrices(priceList: (string | object)[]): { usagetype: string; unit: string; usd: number }[] {
  const out: { usagetype: string; unit: string; usd: number }[] = [];
  for (const raw of priceList) {
    let item: PriceListProduct;
    try {
      // the SDK hands JSON documents over as strings or String objects (LazyJsonString)
      item = (typeof raw === 'string' || raw instanceof String ? JSON.parse(String(raw)) : raw) as PriceListProduct;
    } catch {
      continue;
    }
    const usagetype = item.product?.attributes?.usagetype ?? '';
    for (const term of Object.values(item.terms?.OnDemand ?? {})) {
      for (const dim of Object.values(term.priceDimensions ?? {})) {
        const usd = Number(dim.pricePerUnit?.USD);
        if (Number.isFinite(usd)) out.push({ usagetype, unit: dim.unit ?? '', usd });
      }
    }
  }
  return out;
}

const match = (field: string, value: string): Filter => ({ Type: 'TERM_MATCH', Field: field, Value: value });

class NotAllowed extends Error {}

type Query = (serviceCode: string, filters: Filter[]) => Promise<{ usagetype: string; unit: string; usd: number }[]>;

/** GetProducts (every page, counted in `counter.calls`); a denied or failed call throws NotAllowed. */
function priceListQuery(pricing: PricingClient, counter: { calls: number }): Query {
  return async (serviceCode, filters) => {
    const items: (string | object)[] = [];
    try {
      for await (const page of paginateGetProducts(
        { client: pricing },
        { ServiceCode: serviceCode, Filters: filters, FormatVersion: 'aws_v1', MaxResults: 100 },
      )) {
        counter.calls++;
        items.push(...((page.PriceList ?? []) as (string | object)[]));
      }
    } catch (err) {
      const code = awsErrorCode(err);
      if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(code))
        throw new NotAllowed(`the role may not call pricing:GetProducts (${code})`);
      throw new NotAllowed(`the Price List API failed: ${describeError(err)}`);
    }
    return onDemandPrices(items);
  };
}

const api = (usd: number, unit: Price['unit']): Price => ({ usd, unit, source: 'price-list-api' });

/** On-demand Linux prices per instance-hour: one GetProducts per type; the table's when the API has none. */
async function instancePrices(
  query: Query,
  region: string,
  instanceTypes: string[],
  table: PriceBook,
  apiNotes: string[],
): Promise<Record<string, Price>> {
  const instanceHour: Record<string, Price> = {};
  for (const type of instanceTypes) {
    const found = await query('AmazonEC2', [
      match('regionCode', region),
      match('instanceType', type),
      match('operatingSystem', 'Linux'),
      match('tenancy', 'Shared'),
      match('preInstalledSw', 'NA'),
      match('capacitystatus', 'Used'),
      match('licenseModel', 'No License required'),
    ]);
    const hourly = found.find((f) => f.unit === 'Hrs' && f.usd > 0);
    if (hourly) instanceHour[type] = api(hourly.usd, 'hour');
    else if (table.instanceHour[type]) {
      instanceHour[type] = table.instanceHour[type];
      apiNotes.push(`The Price List API returned no on-demand Linux price for ${type} in ${region}: table price used`);
    }
  }
  return instanceHour;
}

/** NAT gateway-hour and per-GB processing, and the public IPv4 address-hour: two GetProducts. */
async function gatewayPrices(query: Query, region: string, table: PriceBook, apiNotes: string[]) {
  const nat = await query('AmazonEC2', [match('regionCode', region), match('productFamily', 'NAT Gateway')]);
  const natHour = nat.find((f) => /NatGateway-Hours$/.test(f.usagetype) && f.unit === 'Hrs');
  const natGB = nat.find((f) => /NatGateway-Bytes$/.test(f.usagetype) && f.unit === 'GB');
  const ipv4 = await query('AmazonVPC', [
    match('regionCode', region),
    { Type: 'CONTAINS', Field: 'usagetype', Value: 'PublicIPv4:InUseAddress' },
  ]);
  const ipv4Hour = ipv4.find((f) => f.unit === 'Hrs' && f.usd > 0);
  const pick = (found: { usd: number } | undefined, fallback: Price, unit: Price['unit'], what: string): Price => {
    if (found) return api(found.usd, unit);
    apiNotes.push(`The Price List API returned no ${what} price for ${region}: table price used`);
    return fallback;
  };
  return {
    natGatewayHour: pick(natHour, table.natGatewayHour, 'hour', 'NAT gateway-hour'),
    natGatewayGB: pick(natGB, table.natGatewayGB, 'GB', 'NAT gateway data processing'),
    publicIpv4Hour: pick(ipv4Hour, table.publicIpv4Hour, 'address-hour', 'public IPv4 address-hour'),
  };
}

/**
 * Reads the prices from the Price List Query API; any price it cannot find (or every price, when the API is not
 * allowed or fails after the SDK's retries) comes from the table, with a note saying why.
 * Calls: one GetProducts per instance type, one for NAT gateway, one for public IPv4 (pages counted).
 */
export async function readPrices(
  pricing: PricingClient | undefined,
  region: string,
  instanceTypes: string[],
): Promise<PriceBook> {
  const table = tablePrices(region, instanceTypes);
  if (!pricing)
    return {
      ...table,
      notes: [`Prices from the table dated ${PRICE_TABLE.asOf}: the Price List API was not asked`, ...table.notes],
    };
  const counter = { calls: 0 };
  const query = priceListQuery(pricing, counter);
  const apiNotes: string[] = [];
  try {
    const instanceHour = await instancePrices(query, region, instanceTypes, table, apiNotes);
    const gateway = await gatewayPrices(query, region, table, apiNotes);
    const book: PriceBook = {
      ...table,
      instanceHour,
      ...gateway,
      calls: counter.calls,
      notes: [...apiNotes, ...table.notes.filter((n) => !n.startsWith('The price table covers'))],
    };
    // Data transfer (cross-AZ, out to the internet) is tiered and priced per pair of locations: always the
    // table's first tier.
    book.notes.push("Cross-AZ and internet data transfer rates are the table's (first tier)");
    const prices = [book.natGatewayHour, book.natGatewayGB, book.publicIpv4Hour, ...Object.values(book.instanceHour)];
    book.source = prices.every((p) => p.source === 'price-list-api') ? 'price-list-api' : 'mixed';
    return book;
  } catch (err) {
    if (!(err instanceof NotAllowed)) throw err;
    return {
      ...table,
      calls: counter.calls,
      notes: [`Prices from the table dated ${PRICE_TABLE.asOf}: ${err.message}`, ...table.notes],
    };
  }
}
