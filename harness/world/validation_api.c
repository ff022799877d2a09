#include "validation_api.h"
#include "records_oracle.h"

struct service validation_api;

bool validate_record(const struct record *r)
{
	service_call(&validation_api, r->id);
	return record_is_plausible(r);
}
