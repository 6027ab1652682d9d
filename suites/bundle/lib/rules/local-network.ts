/**
 * Local network rules. Sources:
 * - TN3179 "Understanding local network privacy" (developer.apple.com/documentation/technotes/tn3179-understanding-local-network-privacy)
 *   and NSLocalNetworkUsageDescription: any app that uses the local network, Bonjour included, should
 *   include the description; NetService's missingRequiredConfigurationError (-72008) says
 *   "NSBonjourServices and NSLocalNetworkUsageDescription are required in Info.plist".
 * - NSBonjourServices (developer.apple.com/documentation/bundleresources/information-property-list/nsbonjourservices):
 *   service types look like `_ipp._tcp` and `_myservice._udp`; the service name follows RFC 6335 §5.1
 *   (1–15 characters of letters, digits and hyphens, at least one letter, no leading, trailing or double hyphen).
 * - com.apple.security.network.server (developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.network.server):
 *   "For UDP sockets, the network entitlements restrict both initiation and data flow … Apps using UDP
 *   usually require both entitlements."
 */
import { basename } from 'node:path';
import { get, getStrings } from '../plist.ts';
import type { Bundle } from '../walker.ts';
import { allBundles, exeFile, notApplicable, outcome, plistFile, type Finding, type Rule } from './types.ts';

/** RFC 6335 §5.1 service name, then the transport: `_name._tcp` or `_name._udp`. */
export function isServiceType(s: string): boolean {
  const m = /^_([A-Za-z0-9-]{1,15})\._(tcp|udp)$/.exec(s);
  if (!m) return false;
  const name = m[1]!;
  return /[A-Za-z]/.test(name) && !name.startsWith('-') && !name.endsWith('-') && !name.includes('--');
}

function bonjourBundles(model: Parameters<Rule['check']>[0]): Bundle[] {
  return allBundles(model).filter((b) => get(b.info, 'NSBonjourServices') !== undefined);
}

export const localNetworkUsage: Rule = {
  id: 'local-network-usage',
  title: 'a bundle that declares NSBonjourServices has a non-empty NSLocalNetworkUsageDescription',
  source: 'Apple, TN3179 "Understanding local network privacy"; NSLocalNetworkUsageDescription',
  check(model) {
    const bundles = bonjourBundles(model);
    if (!bundles.length) return notApplicable('no bundle declares NSBonjourServices');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of bundles) {
      const d = get(b.info, 'NSLocalNetworkUsageDescription');
      if (typeof d === 'string' && d.trim()) verified.push(`${basename(b.path)} explains local network use`);
      else
        findings.push({
          file: plistFile(b),
          key: 'NSLocalNetworkUsageDescription',
          problem: `${d === undefined ? 'is missing' : 'is empty'} though NSBonjourServices is declared: Bonjour fails with -72008 (missingRequiredConfigurationError) and the privacy alert has no text`,
          fix: 'add NSLocalNetworkUsageDescription with a sentence saying why the app uses the local network',
        });
    }
    return outcome(findings, verified);
  },
};

export const bonjourServiceTypes: Rule = {
  id: 'bonjour-service-types',
  title: 'NSBonjourServices is an array of well-formed service types (_name._tcp / _name._udp)',
  source: 'Apple, NSBonjourServices; RFC 6335 §5.1 (service names)',
  check(model) {
    const bundles = bonjourBundles(model);
    if (!bundles.length) return notApplicable('no bundle declares NSBonjourServices');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of bundles) {
      const raw = get(b.info, 'NSBonjourServices');
      if (!Array.isArray(raw) || raw.length === 0) {
        findings.push({
          file: plistFile(b),
          key: 'NSBonjourServices',
          problem: Array.isArray(raw) ? 'is an empty array: browsing any service fails' : 'is not an array of strings',
          fix: 'list every service type the app browses or advertises, e.g. ["_myservice._tcp"]',
        });
        continue;
      }
      for (const s of raw) {
        if (typeof s === 'string' && isServiceType(s)) verified.push(s);
        else
          findings.push({
            file: plistFile(b),
            key: `NSBonjourServices: ${JSON.stringify(s)}`,
            problem: 'is not a service type of the form _name._tcp or _name._udp (name: 1–15 letters, digits, hyphens)',
            fix: typeof s === 'string' ? `write it as ${suggest(s)}` : 'use a string like _myservice._tcp',
          });
      }
    }
    return outcome(findings, verified);
  },
};

function suggest(s: string): string {
  const m = /^_?([^.]+)\.?_?(tcp|udp)?\.?$/i.exec(s.trim());
  const name = (m?.[1] ?? 'myservice').replace(/[^A-Za-z0-9-]/g, '-').slice(0, 15);
  return `_${name}._${(m?.[2] ?? 'tcp').toLowerCase()}`;
}

const SANDBOX = 'com.apple.security.app-sandbox';
const CLIENT = 'com.apple.security.network.client';
const SERVER = 'com.apple.security.network.server';

export const sandboxUdp: Rule = {
  id: 'sandbox-udp',
  title: `a sandboxed bundle that does UDP has both ${CLIENT} and ${SERVER}`,
  source: 'Apple, com.apple.security.network.server entitlement (App Sandbox): UDP needs both entitlements',
  check(model, { usesUdp }) {
    const sandboxed = allBundles(model).filter((b) => get(b.signature?.entitlements, SANDBOX) === true);
    if (!sandboxed.length) return notApplicable(`no signature claims ${SANDBOX}`);
    const findings: Finding[] = [];
    const verified: string[] = [];
    let anyUdp = false;
    for (const b of sandboxed) {
      const udpServices = (getStrings(b.info, 'NSBonjourServices') ?? []).filter((s) => s.endsWith('._udp'));
      const why =
        usesUdp === true
          ? 'with.usesUdp is true'
          : udpServices.length
            ? `NSBonjourServices lists ${udpServices.join(', ')}`
            : undefined;
      if (usesUdp === false || !why) continue;
      anyUdp = true;
      const missing = [CLIENT, SERVER].filter((k) => get(b.signature?.entitlements, k) !== true);
      if (!missing.length) verified.push(`${basename(b.path)} (${why})`);
      else
        findings.push({
          file: exeFile(b),
          key: missing.join(' and '),
          problem: `missing from a sandboxed bundle that does UDP (${why}): the sandbox blocks ${missing.includes(CLIENT) ? 'sending' : 'receiving'} datagrams`,
          fix: 'enable App Sandbox → Outgoing Connections (Client) and Incoming Connections (Server)',
        });
    }
    if (!anyUdp)
      return notApplicable(
        usesUdp === false
          ? 'with.usesUdp is false'
          : 'no sandboxed bundle lists a _udp Bonjour service (set with.usesUdp: true if the app uses UDP otherwise)',
      );
    return outcome(findings, verified);
  },
};
