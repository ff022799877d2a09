#include "records_db.h"

struct service records_db;

void store_record(const struct record *r)
{
	service_call(&records_db, r->id);
}
