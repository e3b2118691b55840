/** Counting a plan per top-level folder of out/ (one per target): `chef: 3 written, 10 unchanged, 1 removed`. */
import { TARGET_NAMES } from '../targets/target.js';
import { topFolderOf } from './out-path.js';
import type { PlannedAction } from './plan.js';
import { compareBytes } from './state.js';

export interface FolderSummary {
  /** The target's folder (chef, ansible, cloud-init, ssh). */
  folder: string;
  /** add + change. */
  written: number;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
}

/**
 * One entry per folder the plan (or a build) touches, targets in their usual order, anything else after them. Files
 * directly in out/ (its .gitignore: fleetgen's own, as the record is) belong to no target and are not counted.
 * `unchanged`: more unchanged files, counted per folder rather than listed (a build's reused parts).
 */
export function summarizePlan(plan: { files: readonly { path: string; action: PlannedAction }[] }, unchanged: ReadonlyMap<string, number> = new Map()): FolderSummary[] {
  const byFolder = new Map<string, FolderSummary>();
  const summaryOf = (folder: string): FolderSummary => {
    let summary = byFolder.get(folder);
    if (!summary) {
      summary = { folder, written: 0, added: 0, changed: 0, unchanged: 0, removed: 0 };
      byFolder.set(folder, summary);
    }
    return summary;
  };
  for (const [folder, count] of unchanged) if (count > 0) summaryOf(folder).unchanged += count;
  for (const file of plan.files) {
    if (!file.path.includes('/')) continue;
    const summary = summaryOf(topFolderOf(file.path));
    if (file.action === 'add') summary.added++;
    else if (file.action === 'change') summary.changed++;
    else if (file.action === 'unchanged') summary.unchanged++;
    else summary.removed++;
    summary.written = summary.added + summary.changed;
  }
  const order = (folder: string): number => {
    const index = (TARGET_NAMES as readonly string[]).indexOf(folder);
    return index === -1 ? TARGET_NAMES.length : index;
  };
  return [...byFolder.values()].sort((a, b) => order(a.folder) - order(b.folder) || compareBytes(a.folder, b.folder));
}

export function formatSummary(summary: FolderSummary): string {
  return `${summary.folder}: ${summary.written} written, ${summary.unchanged} unchanged, ${summary.removed} removed`;
}
