import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description: 'One permission of the catalogue, as roles, grants and API key scopes name it.',
})
export class PermissionInfo {
  @Field({ description: 'e.g. apiKeys:create' })
  name!: string;

  @Field({ description: 'A few plain words for screens, e.g. "See API keys".' })
  label!: string;

  @Field({ description: 'What holding it allows.' })
  description!: string;

  @Field({
    description:
      'false for permissions that an API key can never hold (every mutation of keys, members, roles)',
  })
  grantableToApiKeys!: boolean;
}
