#define _POSIX_C_SOURCE 200809L
#include "io/xdmf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names come from the model and the command line: escape the XML specials anyway. */
static void put_escaped(FILE *f, const char *s)
{
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    default: fputc(*s, f);
    }
  }
}

static void put_attribute(FILE *f, const chs_xdmf_desc *d, int step, const char *name,
                          const char *units, const char *h5_path, const char *number_type,
                          int precision)
{
  fputs("    <Attribute Name=\"", f);
  put_escaped(f, name);
  fputs("\" AttributeType=\"Scalar\" Center=\"Cell\">\n", f);
  if (units) { /* XDMF's place for metadata; ParaView ignores it, other readers may not */
    fputs("     <Information Name=\"units\" Value=\"", f);
    put_escaped(f, units);
    fputs("\"/>\n", f);
  }
  /* The shape of the HDF5 dataset, (nz, ny, nx); the mesh may order its axes differently. */
  fprintf(f,
          "     <DataItem Dimensions=\"%d %d %d\" NumberType=\"%s\" Precision=\"%d\" "
          "Format=\"HDF\">",
          d->cells[2], d->cells[1], d->cells[0], number_type, precision);
  put_escaped(f, d->h5_name);
  fputc(':', f);
  if (h5_path) {
    put_escaped(f, h5_path);
  } else {
    fprintf(f, "/step_%05d/", step);
    put_escaped(f, name);
  }
  fputs("</DataItem>\n    </Attribute>\n", f);
}

chs_status chs_xdmf_write(const char *path, const chs_xdmf_desc *d)
{
  size_t len = strlen(path) + 5;
  char *tmp = malloc(len);
  if (!tmp) return chs_error(CHS_ERR_NOMEM, "%s: out of memory writing the sidecar", path);
  snprintf(tmp, len, "%s.tmp", path);

  FILE *f = fopen(tmp, "w");
  if (!f) {
    chs_status st = chs_error(CHS_ERR_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    free(tmp);
    return st;
  }

  fputs("<?xml version=\"1.0\" ?>\n"
        "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
        "<Xdmf Version=\"2.0\">\n <Domain>\n"
        "  <Grid Name=\"run\" GridType=\"Collection\" CollectionType=\"Temporal\">\n"
        "   <Information Name=\"time_units\" Value=\"days\"/>\n"
        "   <Information Name=\"length_units\" Value=\"mm\"/>\n",
        f);
  for (int s = 0; s < d->nsteps; s++) {
    fprintf(f, "   <Grid Name=\"step_%05d\" GridType=\"Uniform\">\n", s);
    fprintf(f, "    <Time Value=\"%.17g\"/>\n", d->times[s]);
    /* The day as field data: ParaView's Information panel and "Annotate Attribute Data"
     * show it (its time display has no unit). */
    fprintf(f,
            "    <Attribute Name=\"day\" AttributeType=\"Scalar\" Center=\"Grid\">\n"
            "     <DataItem Dimensions=\"1\" NumberType=\"Float\" Precision=\"8\" "
            "Format=\"XML\">%.17g</DataItem>\n"
            "    </Attribute>\n",
            d->times[s]);
    /* Point counts: the fields are cell-centred, so one more point than cells per axis.
     * ParaView reads the ORIGIN_DXDYDZ triples and the dimensions in z y x order. */
    double org[3], spc[3]; /* ParaView z y x */
    int pts[3];
    if (d->planar) { /* ParaView x = grid x, y = -depth, z = one point */
      pts[0] = 1, pts[1] = d->cells[2] + 1, pts[2] = d->cells[0] + 1;
      org[0] = 0, org[1] = -d->origin[2], org[2] = d->origin[0];
      spc[0] = 1, spc[1] = -d->spacing[2], spc[2] = d->spacing[0];
    } else { /* ParaView x y = grid x y, z = -depth */
      pts[0] = d->cells[2] + 1, pts[1] = d->cells[1] + 1, pts[2] = d->cells[0] + 1;
      org[0] = -d->origin[2], org[1] = d->origin[1], org[2] = d->origin[0];
      spc[0] = -d->spacing[2], spc[1] = d->spacing[1], spc[2] = d->spacing[0];
    }
    fprintf(f, "    <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"%d %d %d\"/>\n",
            pts[0], pts[1], pts[2]);
    fprintf(f,
            "    <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
            "     <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
            "Format=\"XML\">%.17g %.17g %.17g</DataItem>\n"
            "     <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
            "Format=\"XML\">%.17g %.17g %.17g</DataItem>\n"
            "    </Geometry>\n",
            org[0] == 0 ? 0.0 : org[0], org[1] == 0 ? 0.0 : org[1], org[2], spc[0], spc[1],
            spc[2]);
    for (int k = 0; k < d->nfields; k++)
      put_attribute(f, d, s, d->field_names[k], d->field_units ? d->field_units[k] : NULL, NULL,
                    "Float", 8);
    if (d->has_lesion_mask)
      put_attribute(f, d, s, "lesion_mask", "1 = lesion", "/grid/lesion_mask", "UChar", 1);
    fputs("   </Grid>\n", f);
  }
  fputs("  </Grid>\n </Domain>\n</Xdmf>\n", f);

  int werr = ferror(f);
  int cerr = fclose(f);
  if (werr || cerr != 0) {
    chs_status st = chs_error(CHS_ERR_IO, "%s: cannot write %s (disk full?)", path, tmp);
    remove(tmp);
    free(tmp);
    return st;
  }
  if (rename(tmp, path) != 0) {
    chs_status st =
        chs_error(CHS_ERR_IO, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
    remove(tmp);
    free(tmp);
    return st;
  }
  free(tmp);
  return CHS_OK;
}
