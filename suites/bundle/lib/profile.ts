/**
 * embedded.provisionprofile: a CMS SignedData (RFC 5652) whose encapsulated content is an XML
 * plist (TN3125 "Inside Code Signing: Provisioning Profiles"). Parsed as ASN.1 with
 * @peculiar/asn1-cms and asn1js (DER or BER: indefinite lengths and chunked content too) rather
 * than by scanning for `<?xml`, so a truncated or foreign file is refused with the reason. The CMS signature itself is not verified here: that is macOS's job
 * at launch (and `codesign` on a Mac); this reader only extracts what the profile grants.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { ContentInfo, SignedData, id_signedData } from '@peculiar/asn1-cms';
import { LIMITS, readCapped } from './bytes.ts';
import { BundleInputError } from './errors.ts';
import { get, getDict, getString, getStrings, parsePlistDict, type PlistDict } from './plist.ts';

export interface ProvisioningProfile {
  file: string;
  name: string | undefined;
  teamIds: string[];
  /** What the profile allows a signature to claim. */
  entitlements: PlistDict;
  expires: Date | undefined;
  /** Developer ID profiles provision all devices; development ones list devices. */
  provisionsAllDevices: boolean;
  provisionedDevices: number;
  platforms: string[];
}

export function parseProfile(der: Buffer, file: string): ProvisioningProfile {
  const bad = (what: string): never => {
    throw new BundleInputError('profile-malformed', file, what);
  };
  let payload: Buffer | undefined;
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData)
      bad(`CMS content type is ${info.contentType}, not signedData (${id_signedData})`);
    const signed = AsnConvert.parse(info.content, SignedData);
    const content = signed.encapContentInfo.eContent;
    // asn1-schema files a constructed (chunked) OCTET STRING under `any`: read it with asn1js either way.
    if (content?.single || content?.any) payload = octets(info.content);
  } catch (err) {
    if (err instanceof BundleInputError) throw err;
    bad(`not a DER CMS SignedData: ${(err as Error).message}`);
  }
  if (!payload || payload.length === 0)
    return bad('CMS SignedData carries no encapsulated content (the profile plist)');
  let plist: PlistDict;
  try {
    plist = parsePlistDict(payload, file);
  } catch (err) {
    if (err instanceof BundleInputError) return bad(`the plist inside the CMS wrapper: ${err.detail}`);
    throw err;
  }
  const entitlements = getDict(plist, 'Entitlements');
  if (!entitlements) bad('the profile plist has no Entitlements dictionary');
  const expires = get(plist, 'ExpirationDate');
  return {
    file,
    name: getString(plist, 'Name'),
    teamIds: getStrings(plist, 'TeamIdentifier') ?? [],
    entitlements: entitlements!,
    expires: expires instanceof Date ? expires : undefined,
    provisionsAllDevices: get(plist, 'ProvisionsAllDevices') === true,
    provisionedDevices: getStrings(plist, 'ProvisionedDevices')?.length ?? 0,
    platforms: getStrings(plist, 'Platform') ?? [],
  };
}

/**
 * The eContent OCTET STRING read with asn1js, which joins a constructed (chunked, BER) string;
 * asn1-schema's OctetString keeps only a primitive one's bytes. RFC 5652 §5.1–5.2 layout:
 * SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo SEQUENCE { eContentType, [0] EXPLICIT OCTET STRING }, … }.
 */
function octets(signedData: ArrayBuffer): Buffer | undefined {
  const parsed = asn1js.fromBER(signedData);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return undefined;
  const encap = parsed.result.valueBlock.value[2];
  if (!(encap instanceof asn1js.Sequence)) return undefined;
  const explicit = encap.valueBlock.value[1];
  if (!(explicit instanceof asn1js.Constructed)) return undefined;
  const os = explicit.valueBlock.value[0];
  return os instanceof asn1js.OctetString ? Buffer.from(os.getValue()) : undefined;
}

export async function readProfile(file: string): Promise<ProvisioningProfile> {
  return parseProfile(await readCapped(file, LIMITS.profileBytes), file);
}
