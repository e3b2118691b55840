/**
 * cloudflare.terraform: split chunks needs its chunk count, and a chunk count means nothing with another split (it
 * would suggest hosts are spread over chunks when they are not).
 */
import type { FleetRule } from './context.js';

export const checkTerraformChunks: FleetRule = ({ manifest, source }) => {
  const terraform = manifest.cloudflare?.terraform;
  if (!terraform) return [];
  if (terraform.split === 'chunks' && terraform.chunks === undefined) {
    return [
      source.error(
        'terraform.chunks-missing',
        ['cloudflare', 'terraform', 'split'],
        'split: chunks needs the number of chunks',
        'add cloudflare.terraform.chunks, e.g. chunks: 40 for about 10,000 hosts (250 per chunk); it cannot change later without moving hosts between states',
      ),
    ];
  }
  if (terraform.split !== 'chunks' && terraform.chunks !== undefined) {
    return [
      source.error(
        'terraform.chunks-unused',
        ['cloudflare', 'terraform', 'chunks'],
        `chunks is only used with split: chunks, and split is ${terraform.split ?? 'group (the default)'}`,
        'remove chunks, or set split: chunks',
        'key',
      ),
    ];
  }
  return [];
};
