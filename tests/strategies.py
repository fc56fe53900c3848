"""Hypothesis strategies for what the import accepts."""

from hypothesis import strategies as st

from autodispatch.models.printable import PRINTABLE_RANGES

# Characters the invoice documents print (models/printable.py), each range as likely as another so
# that small scripts are drawn as often as CJK.
PRINTABLE_CHARACTERS = st.sampled_from(PRINTABLE_RANGES).flatmap(lambda pair: st.integers(*pair)).map(chr)
# What the import accepts in a printed text: printable, and no surrogates, line separators, or the
# two code points XML cannot carry.
TEXT_CHARACTERS = PRINTABLE_CHARACTERS.filter(lambda char: char not in "\u2028\u2029\ufffe\uffff")
