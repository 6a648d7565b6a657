// Validation of user-chosen names (apps, process types, config keys). Pure.
import { YbError } from '../shared/errors.js';

const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;
const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export function checkAppName(name: string): string {
  if (!APP_NAME.test(name) || name.includes('--')) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${name.slice(0, 64)}" is not a valid app name: use 3 to 30 lowercase letters, digits and single dashes, starting with a letter`,
    );
  }
  return name;
}

export function checkProcessType(type: string): string {
  if (!PROCESS_TYPE.test(type)) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${type.slice(0, 64)}" is not a valid process type: use lowercase letters, digits, "-" and "_", starting with a letter`,
    );
  }
  return type;
}

export function checkConfigKey(key: string): string {
  if (!CONFIG_KEY.test(key)) {
    throw new YbError('YB_ERR_INVALID_NAME', `"${key.slice(0, 64)}" is not a valid config var name: use letters, digits and "_", not starting with a digit`);
  }
  return key;
}
