import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { requireId } from '../../validation';
import { Role } from './role.entity';

@Resolver(() => Role)
export class RoleResolver {
  @Mutation(() => Role, {
    description: 'Create a custom role. The caller must hold every permission it gives.',
  })
  createRole(
    @Arg('teamId', () => ID, { description: 'Team of the role.' }) teamId: string,
    @Arg('name', { description: 'Name, unique in the team, 1 to 50 characters.' }) name: string,
    @Arg('permissions', () => [String], { description: 'Names from permissionCatalog.' })
    permissions: string[],
    @Arg('description', () => String, { nullable: true, description: 'What the role is for.' })
    description: string | null,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Role> {
    return services.roles.create(actor, requireId(teamId, 'teamId'), {
      name,
      permissions,
      description,
    });
  }

  @Mutation(() => Role, {
    description:
      'Change a custom role; members holding it get the change at once. Built-in roles are fixed.',
  })
  updateRole(
    @Arg('id', () => ID, { description: 'The role to change.' }) id: string,
    @Arg('name', () => String, { nullable: true, description: 'New name; unchanged when omitted.' })
    name: string | null,
    @Arg('permissions', () => [String], {
      nullable: true,
      description: 'New permissions; unchanged when omitted.',
    })
    permissions: string[] | null,
    @Arg('description', () => String, {
      nullable: true,
      description: 'New description; unchanged when omitted.',
    })
    description: string | undefined,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Role> {
    return services.roles.update(actor, requireId(id, 'id'), { name, permissions, description });
  }

  @Mutation(() => Boolean, { description: 'Delete a custom role that no member holds.' })
  deleteRole(
    @Arg('id', () => ID, { description: 'The role to delete.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.roles.delete(actor, requireId(id, 'id'));
  }
}
