// JSON schemas shared by API routes (request validation and the OpenAPI document).
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
  },
} as const;
