namespace Medallion.PgWire.Tests;

/// <summary>The batch Npgsql 4.0.x sends after connecting to learn the server's types (base, range, enum, domain, arrays, composites).</summary>
internal static class Npgsql4TypeLoading
{
    public const string Query = """
        SELECT ns.nspname, typ_and_elem_type.*,
           CASE
               WHEN typtype IN ('b', 'e', 'p') THEN 0
               WHEN typtype = 'r' THEN 1
               WHEN typtype = 'c' THEN 2
               WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 3
               WHEN typtype = 'a' THEN 4
               WHEN typtype = 'd' AND elemtyptype = 'a' THEN 5
           END AS ord
        FROM (
            SELECT
                typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
                elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
                CASE WHEN elemproc.proname='array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
            FROM (
                SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
                    CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
                    CASE
                        WHEN proc.proname='array_recv' THEN typ.typelem
                        WHEN typ.typtype='r' THEN rngsubtype
                        WHEN typ.typtype='d' THEN typ.typbasetype
                    END AS elemtypoid
                FROM pg_type AS typ
                LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
                LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
                LEFT JOIN pg_range ON (pg_range.rngtypid = typ.oid)
            ) AS typ
            LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemtypoid
            LEFT JOIN pg_class AS elemcls ON (elemcls.oid = elemtyp.typrelid)
            LEFT JOIN pg_proc AS elemproc ON elemproc.oid = elemtyp.typreceive
        ) AS typ_and_elem_type
        JOIN pg_namespace AS ns ON (ns.oid = typnamespace)
        WHERE
            typtype IN ('b', 'r', 'e', 'd') OR
            (typtype = 'c' AND relkind='c') OR
            (typtype = 'p' AND typname IN ('record', 'void')) OR
            (typtype = 'a' AND (
                elemtyptype IN ('b', 'r', 'e', 'd') OR
                (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) OR
                (elemtyptype = 'c' AND elemrelkind='c')
            ))
        ORDER BY ord;

        -- Load field definitions for (free-standing) composite types
        SELECT typ.oid, att.attname, att.atttypid
        FROM pg_type AS typ
        JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
        JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
        JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
        WHERE
          (typ.typtype = 'c' AND cls.relkind='c') AND
          attnum > 0 AND
          NOT attisdropped
        ORDER BY typ.oid, att.attnum;

        -- Load enum fields
        SELECT pg_type.oid, enumlabel
        FROM pg_enum
        JOIN pg_type ON pg_type.oid=enumtypid
        ORDER BY oid, enumsortorder;
        """;
}
