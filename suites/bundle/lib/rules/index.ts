/** The rules table, in report order. Each rule is one check; its file cites its Apple source. */
import { fatSlicesAgree } from './fat-slices.ts';
import { bonjourServiceTypes, localNetworkUsage, sandboxUdp } from './local-network.ts';
import { neEntitlementDistribution, neProviderClasses } from './network-extension.ts';
import { notarizationReady } from './notarization.ts';
import { profileGrants } from './provisioning.ts';
import {
  bundleIdPrefix,
  hostInstallEntitlement,
  sameTeam,
  sysextFolderName,
  sysextLocation,
  sysextUsageDescription,
} from './system-extensions.ts';
import type { Rule } from './types.ts';

export const RULES: readonly Rule[] = [
  sysextLocation,
  sysextFolderName,
  sysextUsageDescription,
  bundleIdPrefix,
  sameTeam,
  hostInstallEntitlement,
  neEntitlementDistribution,
  neProviderClasses,
  profileGrants,
  notarizationReady,
  fatSlicesAgree,
  localNetworkUsage,
  bonjourServiceTypes,
  sandboxUdp,
];

export const RULE_IDS = RULES.map((r) => r.id);
