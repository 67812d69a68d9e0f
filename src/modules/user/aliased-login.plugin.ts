import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, valueFromASTUntyped, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { FragmentDefinitionNode } from 'graphql';
import type { GraphQLContext } from '../../context/context';

/** The logIn fields at the root of a mutation, in order, through fragments too. */
function rootLogInFields(selectionSet: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  const out: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === 'logIn') out.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      out.push(...rootLogInFields(selection.selectionSet, fragments, seen));
    } else if (!seen.has(selection.name.value) && fragments[selection.name.value]) {
      seen.add(selection.name.value);
      out.push(...rootLogInFields(fragments[selection.name.value].selectionSet, fragments, seen));
    }
  }
  return out;
}

/**
 * Sign-in limits count resolver calls, not HTTP requests: a document with 15 aliased logIn
 * fields spends 15 attempts. logIn is non-null, so GraphQL stops running a mutation's fields at
 * the first failed one; the fields it never ran are charged here, after the response is decided,
 * exactly as failed attempts of their email and of the caller's address. Packing guesses into one
 * document therefore buys nothing.
 */
export function aliasedLogInPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, document, request, contextValue }) {
          if (!operation || operation.operation !== 'mutation' || !document || !contextValue) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((d) => [d.name.value, d]),
          );
          const fields = rootLogInFields((operation as OperationDefinitionNode).selectionSet, fragments);
          const notRun = fields.slice(contextValue.logInRuns ?? 0);
          if (notRun.length === 0) return;
          const emails = notRun.map((field) => {
            const arg = field.arguments?.find((a) => a.name.value === 'email');
            const value = arg ? valueFromASTUntyped(arg.value, request.variables ?? {}) : null;
            return typeof value === 'string' ? value : '';
          });
          await contextValue.services.users.chargeUnrunLogIns(contextValue.actor, emails).catch(() => undefined);
        },
      };
    },
  };
}
