module attributes {gpu.container_module} {
  gpu.module @optc_kernels {
    gpu.func @optc_cg_0_dot(%n: index, %dim_n: i64, %b: memref<?xf32>, %partials: memref<?xf32>) kernel {
      %cst_f32 = arith.constant 0.0 : f32
      %c0 = arith.constant 0 : index
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      %8 = scf.for %i = %6 to %n step %7 iter_args(%9 = %cst_f32) -> (f32) {
        %10 = memref.load %b[%i] : memref<?xf32> loc("cg.opt":4:1)
        %11 = arith.mulf %10, %10 : f32 loc("cg.opt":9:14)
        %12 = arith.addf %9, %11 : f32 loc("cg.opt":9:14)
        scf.yield %12 : f32 loc("cg.opt":9:14)
      } loc("cg.opt":9:14)
      %13 = memref.atomic_rmw addf %8, %partials[%c0] : (f32, memref<?xf32>) -> f32 loc("cg.opt":9:14)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_1_reduce(%n: index, %dim_n: i64, %b: memref<?xf32>, %partials: memref<?xf32>) kernel {
      %cst_f32 = arith.constant 0.0 : f32
      %c1 = arith.constant 1 : index
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      %8 = scf.for %i = %6 to %n step %7 iter_args(%9 = %cst_f32) -> (f32) {
        %10 = memref.load %b[%i] : memref<?xf32> loc("cg.opt":4:1)
        %11 = arith.mulf %10, %10 : f32 loc("cg.opt":5:12)
        %12 = arith.addf %9, %11 : f32 loc("cg.opt":5:12)
        scf.yield %12 : f32 loc("cg.opt":5:12)
      } loc("cg.opt":5:12)
      %13 = memref.atomic_rmw addf %8, %partials[%c1] : (f32, memref<?xf32>) -> f32 loc("cg.opt":5:12)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_2_map(%n: index, %dim_n: i64, %scratch0: memref<?xf32>, %s: f32, %partials: memref<?xf32>) kernel {
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      scf.for %i = %6 to %n step %7 {
        memref.store %s, %scratch0[%i] : memref<?xf32> loc("cg.opt":4:1)
      } loc("cg.opt":4:1)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_3_matvec(%n: index, %dim_n: i64, %carry2: memref<?xf32>, %A: memref<?xf32>, %scratch1: memref<?xf32>, %partials: memref<?xf32>) kernel {
      %cst_f32 = arith.constant 0.0 : f32
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      scf.for %i = %6 to %n step %7 {
        %8 = scf.for %i_1 = %c0 to %0 step %c1 iter_args(%9 = %cst_f32) -> (f32) {
          %10 = arith.muli %i, %0 : index loc("cg.opt":4:1)
          %11 = arith.addi %10, %i_1 : index loc("cg.opt":4:1)
          %12 = memref.load %A[%11] : memref<?xf32> loc("cg.opt":4:1)
          %13 = memref.load %carry2[%i_1] : memref<?xf32> loc("cg.opt":4:1)
          %14 = arith.mulf %12, %13 : f32 loc("cg.opt":12:10)
          %15 = arith.addf %9, %14 : f32 loc("cg.opt":12:10)
          scf.yield %15 : f32 loc("cg.opt":12:10)
        } loc("cg.opt":12:10)
        memref.store %8, %scratch1[%i] : memref<?xf32> loc("cg.opt":12:10)
      } loc("cg.opt":12:10)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_4_dot(%n: index, %dim_n: i64, %carry2: memref<?xf32>, %scratch1: memref<?xf32>, %partials: memref<?xf32>) kernel {
      %cst_f32 = arith.constant 0.0 : f32
      %c2 = arith.constant 2 : index
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      %8 = scf.for %i = %6 to %n step %7 iter_args(%9 = %cst_f32) -> (f32) {
        %10 = memref.load %carry2[%i] : memref<?xf32> loc("cg.opt":4:1)
        %11 = memref.load %scratch1[%i] : memref<?xf32> loc("cg.opt":4:1)
        %12 = arith.mulf %10, %11 : f32 loc("cg.opt":13:32)
        %13 = arith.addf %9, %12 : f32 loc("cg.opt":13:32)
        scf.yield %13 : f32 loc("cg.opt":13:32)
      } loc("cg.opt":13:32)
      %14 = memref.atomic_rmw addf %8, %partials[%c2] : (f32, memref<?xf32>) -> f32 loc("cg.opt":13:32)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_5_dot(%n: index, %dim_n: i64, %carry1: memref<?xf32>, %scratch1: memref<?xf32>, %alpha: f32, %partials: memref<?xf32>) kernel {
      %cst_f32 = arith.constant 0.0 : f32
      %c3 = arith.constant 3 : index
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      %8 = scf.for %i = %6 to %n step %7 iter_args(%9 = %cst_f32) -> (f32) {
        %10 = memref.load %carry1[%i] : memref<?xf32> loc("cg.opt":4:1)
        %11 = memref.load %scratch1[%i] : memref<?xf32> loc("cg.opt":4:1)
        %12 = arith.mulf %alpha, %11 : f32 loc("cg.opt":15:14)
        %13 = arith.subf %10, %12 : f32 loc("cg.opt":15:10)
        %14 = arith.mulf %13, %13 : f32 loc("cg.opt":16:11)
        %15 = arith.addf %9, %14 : f32 loc("cg.opt":16:11)
        scf.yield %15 : f32 loc("cg.opt":16:11)
      } loc("cg.opt":16:11)
      %16 = memref.atomic_rmw addf %8, %partials[%c3] : (f32, memref<?xf32>) -> f32 loc("cg.opt":16:11)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_6_map(%n: index, %dim_n: i64, %carry0: memref<?xf32>, %carry2: memref<?xf32>, %scratch2: memref<?xf32>, %alpha: f32, %partials: memref<?xf32>) kernel {
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      scf.for %i = %6 to %n step %7 {
        %8 = memref.load %carry0[%i] : memref<?xf32> loc("cg.opt":4:1)
        %9 = memref.load %carry2[%i] : memref<?xf32> loc("cg.opt":4:1)
        %10 = arith.mulf %alpha, %9 : f32 loc("cg.opt":14:14)
        %11 = arith.addf %8, %10 : f32 loc("cg.opt":14:10)
        memref.store %11, %scratch2[%i] : memref<?xf32> loc("cg.opt":14:10)
      } loc("cg.opt":14:10)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_7_map(%n: index, %dim_n: i64, %carry1: memref<?xf32>, %scratch1: memref<?xf32>, %scratch4: memref<?xf32>, %alpha: f32, %partials: memref<?xf32>) kernel {
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      scf.for %i = %6 to %n step %7 {
        %8 = memref.load %carry1[%i] : memref<?xf32> loc("cg.opt":4:1)
        %9 = memref.load %scratch1[%i] : memref<?xf32> loc("cg.opt":4:1)
        %10 = arith.mulf %alpha, %9 : f32 loc("cg.opt":15:14)
        %11 = arith.subf %8, %10 : f32 loc("cg.opt":15:10)
        memref.store %11, %scratch4[%i] : memref<?xf32> loc("cg.opt":15:10)
      } loc("cg.opt":15:10)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)

    gpu.func @optc_cg_8_map(%n: index, %dim_n: i64, %carry2: memref<?xf32>, %scratch4: memref<?xf32>, %scratch6: memref<?xf32>, %s: f32, %partials: memref<?xf32>) kernel {
      %0 = arith.index_cast %dim_n : i64 to index loc("cg.opt":4:1)
      %1 = gpu.block_id x loc("cg.opt":4:1)
      %2 = gpu.block_dim x loc("cg.opt":4:1)
      %3 = gpu.thread_id x loc("cg.opt":4:1)
      %4 = gpu.grid_dim x loc("cg.opt":4:1)
      %5 = arith.muli %1, %2 : index loc("cg.opt":4:1)
      %6 = arith.addi %5, %3 : index loc("cg.opt":4:1)
      %7 = arith.muli %4, %2 : index loc("cg.opt":4:1)
      scf.for %i = %6 to %n step %7 {
        %8 = memref.load %scratch4[%i] : memref<?xf32> loc("cg.opt":4:1)
        %9 = memref.load %carry2[%i] : memref<?xf32> loc("cg.opt":4:1)
        %10 = arith.mulf %s, %9 : f32 loc("cg.opt":17:15)
        %11 = arith.addf %8, %10 : f32 loc("cg.opt":17:10)
        memref.store %11, %scratch6[%i] : memref<?xf32> loc("cg.opt":17:10)
      } loc("cg.opt":17:10)
      gpu.return loc("cg.opt":4:1)
    } loc("cg.opt":4:1)
  }
}
