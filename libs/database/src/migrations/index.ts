import { Foundation1764300000000 } from './1764300000000-foundation';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [Foundation1764300000000];
