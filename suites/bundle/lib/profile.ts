/**
 * embedded.provisionprofile: a CMS SignedData (RFC 5652) whose encapsulated content is an XML
 * plist (TN3125 "Inside Code Signing: Provisioning Profiles"). Parsed as DER with
 * @peculiar/asn1-cms rather than by scanning for `<?xml`, so a truncated or foreign file is
 * refused with the reason. The CMS signature itself is not verified here: that is macOS's job
 * at launch (and `codesign` on a Mac); this reader only extracts what the profile grants.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
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
    if (info.contentType !== id_signedData) bad(`CMS content type is ${info.contentType}, not signedData (${id_signedData})`);
    const signed = AsnConvert.parse(info.content, SignedData);
    const content = signed.encapContentInfo.eContent;
    const bytes = content?.single?.buffer ?? content?.any;
    if (bytes) payload = Buffer.from(bytes);
  } catch (err) {
    if (err instanceof BundleInputError) throw err;
    bad(`not a DER CMS SignedData: ${(err as Error).message}`);
  }
  if (!payload || payload.length === 0) return bad('CMS SignedData carries no encapsulated content (the profile plist)');
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

export async function readProfile(file: string): Promise<ProvisioningProfile> {
  return parseProfile(await readCapped(file, LIMITS.profileBytes), file);
}
