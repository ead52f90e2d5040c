import VireoStorage

/// pg_catalog relations with PostgreSQL 15's columns, in its order and with its types, so
/// that a tool's query binds whichever columns it names: pg_dump reads most of pg_class,
/// pg_type, pg_attribute and pg_constraint, and queries relations Vireo has nothing in
/// (operators, text-search configurations, foreign servers …), which are here with no
/// rows. A builder gives the columns Vireo knows; every other column takes its type's
/// neutral value (false, 0, NULL) or PostgreSQL's value for an ordinary object
/// (`columnDefaults`). The declarations are PostgreSQL 15's pg_attribute, with oid-like
/// types (regproc, xid, regclass) as oid, pg_node_tree and anyarray as text, aclitem[] as text[].
extension SystemCatalog {
    static let postgresColumns: [String: String] = [
        "pg_db_role_setting": "setdatabase oid, setrole oid, setconfig text[]",
        "pg_namespace": "oid oid, nspname name, nspowner oid, nspacl text[]",
        "pg_type": "oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char, typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid, typsubscript oid, typelem oid, typarray oid, typinput oid, typoutput oid, typreceive oid, typsend oid, typmodin oid, typmodout oid, typanalyze oid, typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, typcollation oid, typdefaultbin text, typdefault text, typacl text[]",
        "pg_class": "oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char, relkind char, relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char, relispartition bool, relrewrite oid, relfrozenxid oid, relminmxid oid, relacl text[], reloptions text[], relpartbound text",
        "pg_attribute": "attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char, attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char, attgenerated char, attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, attacl text[], attoptions text[], attfdwoptions text[], attmissingval text",
        "pg_index": "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, indisreplident bool, indkey int2vector, indcollation int2vector, indclass int2vector, indoption int2vector, indexprs text, indpred text",
        "pg_am": "oid oid, amname name, amhandler oid, amtype char",
        "pg_database": "oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid oid, datminmxid oid, dattablespace oid, datcollate text, datctype text, daticulocale text, datcollversion text, datacl text[]",
        "pg_attrdef": "oid oid, adrelid oid, adnum int2, adbin text",
        "pg_constraint": "oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, connoinherit bool, conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[], conffeqop oid[], confdelsetcols int2[], conexclop oid[], conbin text",
        "pg_collation": "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, collisdeterministic bool, collencoding int4, collcollate text, collctype text, colliculocale text, collversion text",
        "pg_policy": "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[], polqual text, polwithcheck text",
        "pg_statistic_ext": "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys int2vector, stxkind char[], stxexprs text",
        "pg_publication": "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool",
        "pg_publication_namespace": "oid oid, pnpubid oid, pnnspid oid",
        "pg_publication_rel": "oid oid, prpubid oid, prrelid oid, prqual text, prattrs int2vector",
        "pg_tablespace": "oid oid, spcname name, spcowner oid, spcacl text[], spcoptions text[]",
        "pg_enum": "oid oid, enumtypid oid, enumsortorder float4, enumlabel name",
        "pg_range": "rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, rngcanonical oid, rngsubdiff oid",
        "pg_inherits": "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool",
        "pg_extension": "oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text, extconfig oid[], extcondition text[]",
        "pg_description": "objoid oid, classoid oid, objsubid int4, description text",
        "pg_auth_members": "roleid oid, member oid, grantor oid, admin_option bool",
        "pg_proc": "oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, prorows float4, provariadic oid, prosupport oid, prokind char, prosecdef bool, proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char, pronargs int2, pronargdefaults int2, prorettype oid, proargtypes int2vector, proallargtypes oid[], proargmodes char[], proargnames text[], proargdefaults text, protrftypes oid[], prosrc text, probin text, prosqlbody text, proconfig text[], proacl text[]",
        "pg_trigger": "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr int2vector, tgargs bytea, tgqual text, tgoldtable name, tgnewtable name",
        "pg_depend": "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype char",
        "pg_opclass": "oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid, opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid",
        "pg_rewrite": "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, ev_qual text, ev_action text",
        "pg_foreign_table": "ftrelid oid, ftserver oid, ftoptions text[]",
        "pg_sequence": "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool",
        "pg_init_privs": "objoid oid, classoid oid, objsubid int4, privtype char, initprivs text[]",
        "pg_language": "oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool, lanplcallfoid oid, laninline oid, lanvalidator oid, lanacl text[]",
        "pg_operator": "oid oid, oprname name, oprnamespace oid, oprowner oid, oprkind char, oprcanmerge bool, oprcanhash bool, oprleft oid, oprright oid, oprresult oid, oprcom oid, oprnegate oid, oprcode oid, oprrest oid, oprjoin oid",
        "pg_opfamily": "oid oid, opfmethod oid, opfname name, opfnamespace oid, opfowner oid",
        "pg_ts_parser": "oid oid, prsname name, prsnamespace oid, prsstart oid, prstoken oid, prsend oid, prsheadline oid, prslextype oid",
        "pg_ts_template": "oid oid, tmplname name, tmplnamespace oid, tmplinit oid, tmpllexize oid",
        "pg_ts_dict": "oid oid, dictname name, dictnamespace oid, dictowner oid, dicttemplate oid, dictinitoption text",
        "pg_ts_config": "oid oid, cfgname name, cfgnamespace oid, cfgowner oid, cfgparser oid",
        "pg_foreign_data_wrapper": "oid oid, fdwname name, fdwowner oid, fdwhandler oid, fdwvalidator oid, fdwacl text[], fdwoptions text[]",
        "pg_foreign_server": "oid oid, srvname name, srvowner oid, srvfdw oid, srvtype text, srvversion text, srvacl text[], srvoptions text[]",
        "pg_default_acl": "oid oid, defaclrole oid, defaclnamespace oid, defaclobjtype char, defaclacl text[]",
        "pg_conversion": "oid oid, conname name, connamespace oid, conowner oid, conforencoding int4, contoencoding int4, conproc oid, condefault bool",
        "pg_cast": "oid oid, castsource oid, casttarget oid, castfunc oid, castcontext char, castmethod char",
        "pg_transform": "oid oid, trftype oid, trflang oid, trffromsql oid, trftosql oid",
        "pg_event_trigger": "oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char, evttags text[]",
        "pg_partitioned_table": "partrelid oid, partstrat char, partnatts int2, partdefid oid, partattrs int2vector, partclass int2vector, partcollation int2vector, partexprs text",
        "pg_subscription": "oid oid, subdbid oid, subskiplsn text, subname name, subowner oid, subenabled bool, subbinary bool, substream bool, subtwophasestate char, subdisableonerr bool, subconninfo text, subslotname name, subsynccommit text, subpublications text[]",
        "pg_largeobject_metadata": "oid oid, lomowner oid, lomacl text[]",
        "pg_seclabel": "objoid oid, classoid oid, objsubid int4, provider text, label text",
        "pg_seclabels": "objoid oid, classoid oid, objsubid int4, objtype text, objnamespace oid, objname text, provider text, label text",
        "pg_shseclabel": "objoid oid, classoid oid, provider text, label text",
        "pg_amop": "oid oid, amopfamily oid, amoplefttype oid, amoprighttype oid, amopstrategy int2, amoppurpose char, amopopr oid, amopmethod oid, amopsortfamily oid",
        "pg_amproc": "oid oid, amprocfamily oid, amproclefttype oid, amprocrighttype oid, amprocnum int2, amproc oid",
        "pg_user_mapping": "oid oid, umuser oid, umserver oid, umoptions text[]",
        "pg_shdescription": "objoid oid, classoid oid, description text",
        "pg_aggregate": "aggfnoid oid, aggkind char, aggnumdirectargs int2, aggtransfn oid, aggfinalfn oid, aggcombinefn oid, aggserialfn oid, aggdeserialfn oid, aggmtransfn oid, aggminvtransfn oid, aggmfinalfn oid, aggfinalextra bool, aggmfinalextra bool, aggfinalmodify char, aggmfinalmodify char, aggsortop oid, aggtranstype oid, aggtransspace int4, aggmtranstype oid, aggmtransspace int4, agginitval text, aggminitval text",
        "pg_statistic_ext_data": "stxoid oid, stxdinherit bool, stxdndistinct text, stxddependencies text, stxdmcv text, stxdexpr text",
        "pg_subscription_rel": "srsubid oid, srrelid oid, srsubstate char, srsublsn text",
    ]

    private static let postgresResultColumns: [String: [ResultColumn]] = postgresColumns.mapValues { declaration in
        declaration.split(separator: ",").map { column in
            let parts = column.split(separator: " ")
            return ResultColumn(name: String(parts[0]), type: postgresType(String(parts[1])))
        }
    }

    /// The SQLType of a type name in `postgresColumns`.
    private static func postgresType(_ name: String) -> SQLType {
        switch name {
        case "oid": .oid
        case "name": .name
        case "char": .internalChar
        case "bool": .bool
        case "int2": .smallint
        case "int4": .integer
        case "int8": .int
        case "float4": .real
        case "float8": .double
        case "int2vector": .int2vector
        case "timestamptz": .timestamptz
        case "bytea": .bytes
        default: name.hasSuffix("[]") ? .array(postgresType(String(name.dropLast(2)))) : .text
        }
    }

    /// What a column no builder fills holds where PostgreSQL's value for an ordinary table,
    /// type or constraint is not its type's neutral one.
    private static let columnDefaults: [String: Value] = [
        "relispopulated": .bool(true), "typisdefined": .bool(true), "attislocal": .bool(true), "conislocal": .bool(true),
        "typalign": .text("i"), "attalign": .text("i"), "typdelim": .text(","), "attstattarget": .int(-1), "typtypmod": .int(-1),
        "relallvisible": .int(0), "datallowconn": .bool(true), "indislive": .bool(true),
    ]

    /// `relation` with PostgreSQL's columns for `name` (those it lacks filled, see above);
    /// unchanged when there is no declaration for `name`.
    static func shaped(_ name: String, _ relation: Relation) -> Relation {
        guard let columns = postgresResultColumns[name] else { return relation }
        let positions = Dictionary(relation.columns.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let known = Set(columns.map(\.name))
        let extra = relation.columns.indices.filter { !known.contains(relation.columns[$0].name) }
        let rows = relation.rows.map { row in
            columns.map { column in
                positions[column.name].map { row[$0] } ?? derivedValue(column, row, positions)
            } + extra.map { row[$0] }
        }
        return Relation(columns: columns + extra.map { relation.columns[$0] }, rows: rows)
    }

    private static func derivedValue(_ column: ResultColumn, _ row: [Value], _ positions: [String: Int]) -> Value {
        // A variable-length type is stored extended (TOAST), a fixed-length one plain, as its columns' attstorage says.
        if column.name == "typstorage", let length = positions["typlen"].map({ row[$0] }) {
            return .text(length == .int(-1) ? "x" : "p")
        }
        if column.name == "typinput", let name = positions["typname"].map({ row[$0] }), let category = positions["typcategory"].map({ row[$0] }) {
            // The input function's OID as `'array_in'::regproc` gives it (pgJDBC's getTypeInfo
            // tells arrays by `typinput = 'pg_catalog.array_in'::regproc`).
            let isArray = category == .text("A") && name != .text("int2vector")
            let function = isArray ? "array_in" : category == .text("E") ? "enum_in" : Cast.textForm(name) + "in"
            return .int(procedureOID(named: function))
        }
        if let value = columnDefaults[column.name] { return value }
        // Every object is the database's one role's (pg_dump looks each owner up in pg_roles).
        if column.type == .oid, column.name.hasSuffix("owner") || column.name == "datdba" { return .int(ownerOID) }
        switch column.type {
        case .bool: return .bool(false)
        case .smallint, .integer, .int, .oid: return .int(0)
        case .real, .double: return .double(0)
        default: return .null
        }
    }

    /// A pg_catalog relation that Vireo has nothing in: PostgreSQL's columns, no rows.
    static func emptyPostgresRelation(_ name: String) -> Relation? {
        postgresResultColumns[name].map { Relation(columns: $0, rows: []) }
    }
}
