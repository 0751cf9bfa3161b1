import { call, ProblemError } from './api';
import type { Role } from './models';

/**
 * Which role a key has, from what the API lets it do: the agency list is for operations only
 * (an agent is refused with 403); an unknown or revoked key is refused with 401.
 */
export async function roleOfKey(key: string): Promise<Role> {
  try {
    await call('/v1/agencies?limit=1', { key });
    return 'operations';
  } catch (error) {
    if (error instanceof ProblemError && error.problem.status === 403) return 'agent';
    throw error;
  }
}
