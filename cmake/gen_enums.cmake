# Generates chs_enums.h: one C enum per enum row E(section, name, default, "a|b|...", doc)
# of the parameter table (src/config/params.h), its constants in the order of the choices,
# so the parser's index of a word and the C constant can never disagree.
#   cmake -DPARAMS=src/config/params.h -DOUT=<build>/generated/chs_enums.h -P gen_enums.cmake
# Constant names: CHS_<PREFIX>_<CHOICE>, the prefix from the table below (the names the
# code has always used), else <SECTION>_<NAME>; the choice upper-cased.
set(prefix_grid.geometry GEOM)
set(prefix_lesion.shape LESION)
set(prefix_therapy.route ROUTE)
set(prefix_solver.preconditioner PC)

file(READ "${PARAMS}" text)
string(REGEX MATCHALL "E\\([ \t]*[a-z0-9_]+[ \t]*,[ \t]*[a-z0-9_]+[ \t]*,[ \t]*\"[^\"]*\"[ \t]*,[ \t]*\"[^\"]*\""
       rows "${text}")
string(CONCAT out "/* Generated from src/config/params.h by cmake/gen_enums.cmake: do not edit.\n"
       " * One enum per enum key of the parameter table, in the order of its choices. */\n"
       "#ifndef CHS_ENUMS_H\n#define CHS_ENUMS_H\n\n")
foreach(row IN LISTS rows)
  string(REGEX REPLACE "E\\([ \t]*([a-z0-9_]+)[ \t]*,[ \t]*([a-z0-9_]+)[ \t]*,[ \t]*\"[^\"]*\"[ \t]*,[ \t]*\"([^\"]*)\""
         "\\1;\\2;\\3" parts "${row}")
  list(GET parts 0 sec)
  list(GET parts 1 name)
  list(GET parts 2 choices)
  if(DEFINED prefix_${sec}.${name})
    set(prefix "${prefix_${sec}.${name}}")
  else()
    string(TOUPPER "${sec}_${name}" prefix)
  endif()
  string(REPLACE "|" ";" words "${choices}")
  set(items "")
  foreach(w IN LISTS words)
    string(TOUPPER "${w}" W)
    string(MAKE_C_IDENTIFIER "${W}" W)
    list(APPEND items "CHS_${prefix}_${W}")
  endforeach()
  list(JOIN items ", " joined)
  string(APPEND out "/* ${sec}.${name}: ${choices} */\nenum { ${joined} };\n")
endforeach()
string(APPEND out "\n#endif\n")
# Rewrite only on change, so an unchanged table does not rebuild everything.
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL out)
  file(WRITE "${OUT}" "${out}")
endif()
