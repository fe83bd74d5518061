/** The `--store` forms, for help texts (runtime/store's openStore reads them). */
export const STORE_OPTION_HELP = 'the store: a directory (FountainKit seed layout) or a FountainStore URL (default: $FOUNTAINSTORE_DIR, else .fountain/store)';
