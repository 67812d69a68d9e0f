import type { Loaders } from '../loaders';
import { personPermissions, type PermissionSet } from '../../permissions/member-permissions';
import type { User } from '../user/user.entity';
import type { ApiKey } from './api-key.entity';

type OwnerLoaders = Pick<Loaders, 'user' | 'memberPermissions'>;
type OwnedKey = Pick<ApiKey, 'ownerId' | 'teamId'>;

/** What the key's owner holds in its team now; null once they have left it (see key-permissions.ts). */
export async function ownerPermissions(
  key: OwnedKey,
  loaders: OwnerLoaders,
): Promise<PermissionSet | null> {
  const user = key.ownerId ? await loaders.user.load(key.ownerId) : null;
  if (!user) return null;
  return personPermissions(
    user,
    await loaders.memberPermissions.load({ teamId: key.teamId, userId: user.id }),
  );
}

/** The key's owner while they are still in its team (a platform admin always is); else null. */
export async function ownerOf(key: OwnedKey, loaders: OwnerLoaders): Promise<User | null> {
  return (await ownerPermissions(key, loaders)) ? loaders.user.load(key.ownerId!) : null;
}
