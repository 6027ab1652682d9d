// MODEL, NOT macOS: the slice of libdispatch (<dispatch/dispatch.h>) that nwgroup_darwin.cc and the
// Network framework model use, implemented in dispatch_model.cc. Semantics follow Apple's
// "Dispatch" documentation: a serial queue runs its blocks one at a time in submission order
// (dispatch_queue_create with DISPATCH_QUEUE_SERIAL); dispatch_async copies the block and keeps the
// queue alive until it ran; an object is freed when its last reference is released; a data object
// made with DISPATCH_DATA_DESTRUCTOR_DEFAULT copies the bytes (dispatch_data_create).
#pragma once
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nc_dispatch_queue* dispatch_queue_t;
typedef struct nc_dispatch_data* dispatch_data_t;
typedef void* dispatch_queue_attr_t;
typedef void (^dispatch_block_t)(void);
typedef bool (^dispatch_data_applier_t)(dispatch_data_t region, size_t offset, const void* buffer, size_t size);

#define DISPATCH_QUEUE_SERIAL ((dispatch_queue_attr_t)0)
#define DISPATCH_DATA_DESTRUCTOR_DEFAULT ((dispatch_block_t)0)

dispatch_queue_t dispatch_queue_create(const char* label, dispatch_queue_attr_t attr);
void dispatch_async(dispatch_queue_t queue, dispatch_block_t block);
dispatch_data_t dispatch_data_create(const void* buffer, size_t size, dispatch_queue_t queue,
                                     dispatch_block_t destructor);
size_t dispatch_data_get_size(dispatch_data_t data);
bool dispatch_data_apply(dispatch_data_t data, dispatch_data_applier_t applier);
// Apple's dispatch_retain/dispatch_release take any dispatch object.
void nc_dispatch_retain(void* object);
void nc_dispatch_release(void* object);
#define dispatch_retain(o) nc_dispatch_retain((void*)(o))
#define dispatch_release(o) nc_dispatch_release((void*)(o))

// For the model's own use (Network framework model, driver): blocks until every queue made so far
// has run out of work and ended.
void nc_dispatch_model_drain(void);

#ifdef __cplusplus
}
#endif
