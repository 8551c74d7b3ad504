// Client of the tagmetry serve JSON API (docs/serve-api.md). Every state-changing request carries the
// session token (X-Tagmetry-Token); errors become ApiError with the server's code and message.

import type { SimulateParams, TagParams } from './generated/operations';

// The `tag` options the server's tag job takes (POST /api/jobs/tag): the server keeps the rest (files,
// shards, databases, devices). Must name the server's tag_job_option_names() (include/tagmetry/server.h);
// tests/server/api_types_test.cpp compares the two lists.
export type TagJobOption =
  | 'model'
  | 'model_dir'
  | 'model_type'
  | 'offline'
  | 'precision'
  | 'batch_size'
  | 'threads'
  | 'force'
  | 'append'
  | 'overwrite'
  | 'image'
  | 'trigger'
  | 'threshold'
  | 'general_threshold'
  | 'character_threshold'
  | 'mcut'
  | 'max_tags'
  | 'max_color_tags'
  | 'pose_expression_floor'
  | 'undesired_tags'
  | 'always_first_tags'
  | 'character_tags_first'
  | 'remove_underscore'
  | 'rating'
  | 'order'
  | 'character_tag_expand'
  | 'tag_replacement'
  | 'caption_separator';
export type TagJobParams = Pick<TagParams, TagJobOption>;
// POST /api/preview `settings`: kohya's caption options as `simulate` declares them, and the preview's own
// token limit.
export type PreviewSettings = SimulateParams & { max_token_length?: 75 | 150 | 225 };

export interface Session {
  token: string;
  root: string;
  name: string;
  images: number;
  captions: number;
  caption_extension: string;
  separator: string;
  trigger: string;
  model_dir: string; // serve --model-dir: the tag job may use model folders inside it ('' = none)
  generation: number;
  has_scores: boolean;
  version: string;
}

export interface Item {
  id: number;
  path: string;
  caption: string;
  tags: string[];
  version: string;
  has_caption: boolean;
  // Why the caption could not be read (unreadable, not UTF-8); null when it was read.
  error: string | null;
}

// GET /api/history
export interface History {
  // The keys of `tagmetry undo --list --json`, and whether the operation is undone.
  operations: {
    id: number;
    time: number;
    command: string;
    args: string;
    files: number;
    undoes: number | null;
    undone_by: number | null;
    pruned: boolean;
    undone: boolean;
  }[];
  can_undo: boolean;
  can_redo: boolean;
}

// POST /api/undo and /api/redo (also the body of their 409 answer): the keys of `tagmetry undo --json`
// (caption paths) and the image ids of those captions.
export interface UndoResponse {
  operation: number;
  command: string;
  reverted: string[];
  changed: string[];
  refused: boolean;
  nothing_reverted: boolean;
  history_pruned: boolean;
  reverted_ids: number[];
  changed_ids: number[];
}

// A tag job: GET /api/jobs/{id}, GET /api/jobs/current (id null and state "none" when no job runs).
export type JobState = 'none' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';
// The keys of `tagmetry tag --json` (docs/tag.md).
export interface JobReport {
  images: number;
  tagged: number;
  appended: number;
  overwritten: number;
  skipped_existing: number;
  failed: number;
  reused: number;
  other_shards: number;
  database: string;
  model_name: string;
  model: string; // the model file's path
  failures: { path: string; error: string }[];
  skipped: string[];
  backups: string[];
  cancelled: boolean;
  seconds: number;
  device: string;
  provider: string;
  mcut: boolean;
  thresholds: unknown;
}
export interface JobSummary {
  id: number | null;
  state: JobState;
  done?: number;
  total?: number;
  rate?: number;
  eta_seconds?: number | null;
  report?: JobReport | null;
  error?: string | null;
}
// The SSE events of /api/jobs/{id}/events.
export interface JobProgress {
  done: number;
  total: number;
  rate: number;
  eta_seconds: number | null;
}
export interface JobItemEvent {
  id: number | null;
  path: string;
  outcome: 'tagged' | 'appended' | 'overwritten' | 'skipped' | 'failed';
  message?: string;
  caption?: string;
  tags?: string[];
  version?: string;
}
export interface JobEndEvent {
  state: JobState;
  report: JobReport | null;
  error: string | null;
}

export interface ScoreTag {
  tag: string;
  score: number;
  category: string;
}

export interface ImageDetail extends Item {
  caption_path: string;
  lines: string[];
  width: number;
  height: number;
  scores: null | {
    model: string;
    general_threshold: number;
    character_threshold: number;
    tags: ScoreTag[];
  };
}

export interface Filter {
  all: string[];
  any: string[];
  none: string[];
  text: string;
  captioned: '' | 'yes' | 'no';
}

export interface TagCount {
  tag: string;
  count: number;
  ja?: string;
  category?: string;
}

export interface VocabTag {
  tag: string;
  category: string;
  count: number;
  aliases: string[];
  ja: string;
  in_dataset: number;
}

export interface BatchOp {
  kind: 'add' | 'remove' | 'replace' | 'move_first';
  tags: string[];
  position?: 'first' | 'last' | 'index';
  index?: number;
  match?: 'exact' | 'glob' | 'regex';
}

// POST /api/batch: the keys of `tagmetry edit --json`, and the image ids changed and skipped.
export interface BatchResponse {
  operation: string;
  dry_run: boolean;
  files: number;
  changed: number;
  unchanged: number;
  tags_added: number;
  tags_removed: number;
  changes: { file: string; before: string; after: string }[];
  skipped: { file: string; error: string }[];
  ids: number[];
  skipped_ids: number[];
  operation_id: number | null;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: any,
  ) {
    super(message);
  }
}

let token = '';

// Sets the token sent with every POST/PUT/DELETE (from GET /api/session).
export function setToken(t: string) {
  token = t;
}

async function request<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['X-Tagmetry-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: 'no-store',
  });
  const text = await res.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data?.error ?? {};
    throw new ApiError(res.status, err.code ?? 'http_' + res.status, err.message ?? `${method} ${url}: HTTP ${res.status}`, data);
  }
  return data as T;
}

export const get = <T>(url: string, signal?: AbortSignal) => request<T>('GET', url, undefined, signal);
export const post = <T>(url: string, body?: unknown) => request<T>('POST', url, body ?? {});
export const put = <T>(url: string, body: unknown) => request<T>('PUT', url, body);

// Query string of a gallery filter (all/any/none repeated, text, captioned).
export function filterQuery(f: Filter): string {
  const q = new URLSearchParams();
  for (const t of f.all) q.append('all', t);
  for (const t of f.any) q.append('any', t);
  for (const t of f.none) q.append('none', t);
  if (f.text) q.set('text', f.text);
  if (f.captioned) q.set('captioned', f.captioned);
  return q.toString();
}

export const emptyFilter = (): Filter => ({ all: [], any: [], none: [], text: '', captioned: '' });

export function filterIsEmpty(f: Filter) {
  return !f.all.length && !f.any.length && !f.none.length && !f.text && !f.captioned;
}

// Tag spelling used for comparisons: `long hair` = `long_hair` (as the server's same_tag).
export function tagKey(t: string): string {
  return t.trim().toLowerCase().replace(/ /g, '_');
}

// Splits a caption's first line into tags with the dataset's separator.
export function splitTags(line: string, separator: string): string[] {
  const sep = separator.trim() || ',';
  return line
    .split(sep)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export function imageUrl(id: number) {
  return `/api/image/${id}/file`;
}

export function thumbUrl(id: number, size = 256, v = '') {
  return `/api/image/${id}/thumb?size=${size}${v ? '&v=' + encodeURIComponent(v) : ''}`;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
  if (n >= 1e4) return Math.round(n / 1e3) + 'k';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(n);
}
