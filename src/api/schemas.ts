// JSON schemas shared by API routes (request validation and the OpenAPI document).
import { PHASES } from '../shared/phases.js';
export const errorSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
  required: ['id', 'message'],
} as const;

export const appParams = {
  type: 'object',
  properties: { app: { type: 'string', maxLength: 64 } },
  required: ['app'],
} as const;

export const appSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    team: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    currentRelease: { type: 'integer' },
    buildpack: { type: 'string' },
    webUrl: { type: 'string' },
    gitUrl: { type: 'string' },
  },
} as const;

/** Milliseconds per phase of a push or release (shared/phases.ts), in the order they were spent. */
export const phasesSchema = {
  type: 'object',
  description:
    'Milliseconds per phase: queue, receive, unpack, detect, install, image, push, release, start, health, switch, stop (each present when gone through)',
  properties: Object.fromEntries(PHASES.map((p) => [p, { type: 'integer', minimum: 0 }])),
  additionalProperties: false,
} as const;

/** A build record (build/build-record.ts); further fields pass through as stored. */
export const buildSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    app: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'pending', 'building', 'succeeded', 'failed'] },
    // Nullable: a record stores null where a build had nothing to say (a static app has no language version), and
    // a string schema would turn that null into "" on the way out.
    sourceCommit: { type: ['string', 'null'] },
    builder: { type: 'string' },
    buildpacks: { type: 'array', items: { type: 'string' } },
    language: { type: ['string', 'null'] },
    languageVersion: { type: ['string', 'null'] },
    image: { type: 'string' },
    imageId: { type: 'string' },
    durations: { type: 'object', additionalProperties: { type: 'integer' } },
    phases: phasesSchema,
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
  },
} as const;

export const releaseSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    app: { type: 'string' },
    image: { type: 'string' },
    imageId: { type: 'string' },
    registryImage: { type: 'string' },
    processTypes: { type: 'object', additionalProperties: { type: 'string' } },
    port: { type: 'integer' },
    builder: { type: 'string' },
    build: { type: 'string' },
    description: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    statusReason: { type: 'string' },
    current: { type: 'boolean' },
    configKeys: { type: 'array', items: { type: 'string' } },
    phases: phasesSchema,
  },
} as const;
