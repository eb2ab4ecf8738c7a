/**
 * What the SQL stores share through jdbi: the rows of credentials, history and consumers, the
 * statements on them, and the schema migration runner. Each store supplies its
 * {@link dev.tokenkeeper.store.jdbc.Dialect}; nothing here is a store of its own.
 */
module dev.tokenkeeper.store.jdbc {
    requires transitive dev.tokenkeeper.api;
    requires transitive java.sql;
    requires transitive org.jdbi.v3.core;
    // jdbi is an automatic module: its own dependencies are not resolved for it, so name them here
    // (Jdbi.create needs geantyref; Jdbi and Handle log through slf4j), for every store on this code.
    requires transitive io.leangen.geantyref;
    requires transitive org.slf4j;

    exports dev.tokenkeeper.store.jdbc to dev.tokenkeeper.store.sqlite, dev.tokenkeeper.store.postgres;
}
