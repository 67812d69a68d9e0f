import {
  Modal,
  PasswordInput,
  Select,
  TextInput,
  Textarea,
  createTheme,
  type CSSVariablesResolver,
} from '@mantine/core';

// Required fields keep the `required` attribute but no " *" in the label: a label reads exactly
// as its field's name ("Password"), and the few optional fields say "Optional." instead.
const noAsterisk = { defaultProps: { withAsterisk: false } };

/**
 * Mantine's defaults, made to meet WCAG AA contrast on white: filled buttons and links use the
 * darkest shade (blue 9 on white is about 6:1, where the default shade 6 is 3.6:1), and the
 * "dimmed", error and placeholder colours are dark enough for text. System fonts only: no
 * request ever leaves for a web font.
 */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 9, dark: 8 },
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  defaultRadius: 'sm',
  components: {
    TextInput: TextInput.extend(noAsterisk),
    PasswordInput: PasswordInput.extend(noAsterisk),
    Textarea: Textarea.extend(noAsterisk),
    Select: Select.extend(noAsterisk),
    // Dialogs appear at once: no fade that a screen magnifier, a reduced-motion setting or an
    // accessibility check run right after opening would catch half-way.
    Modal: Modal.extend({ defaultProps: { transitionProps: { duration: 0 } } }),
  },
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
  },
  dark: {},
});
